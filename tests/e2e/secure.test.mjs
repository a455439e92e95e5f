// secure: electricd in secure mode (ELECTRIC_SECRET; PROTOCOL.md §1.3,
// §1.2, §14.3; §17 items 32, 33 and the disabled half of 36).  The secret
// contains characters the query encoding must get right (space, +, &, %).
// Every path form of the shape route needs it; OPTIONS, /v1/health, / and
// unknown paths do not; a 401 carries the CORS headers; DELETE with the
// secret but without ELECTRIC_ENABLE_INTEGRATION_TESTING is a 405.  Both
// or neither of ELECTRIC_SECRET and ELECTRIC_INSECURE: a start-up error.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { after, before } from 'node:test';
import {
  ELECTRICD, EXPOSE_HEADERS, TMP, assert400, cleanup, createDatabase, createItems, dumpLogs,
  freePort, httpGet, onCleanup, rawRequest, scenario, shapeGet, startElectricd,
} from './lib.mjs';

const SECRET = 's3cr+t &x=1%';
const UNAUTHORIZED = '{"message":"Unauthorized - Invalid API secret"}';
const SHAPE_METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST'];

let db;
let E;
let handle;

before(async () => {
  db = await createDatabase('secure');
  await createItems(db);
  E = await startElectricd({ databaseUrl: db.url, secret: SECRET })
    .catch((err) => { dumpLogs('start-up failed'); throw err; });
});
after(cleanup);

const q = (params) => new URLSearchParams(params).toString();
const methods = (v) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean).sort();

function assert401(r, what, origin = '*', head = false) {
  assert.equal(r.status, 401, `${what}: ${r.status} ${r.text}`);
  assert.equal(r.text, head ? '' : UNAUTHORIZED, `${what}: body`);
  assert.equal(r.headers['access-control-allow-origin'], origin, `${what}: CORS origin`);
  assert.equal(r.headers['access-control-expose-headers'], EXPOSE_HEADERS, `${what}: expose`);
  assert.deepEqual(methods(r.headers['access-control-allow-methods']), SHAPE_METHODS,
    `${what}: allow-methods`);
}

scenario('32: no, wrong or mis-encoded secret → 401 with CORS headers', async () => {
  const base = { table: 'items', offset: '-1' };
  const cases = [
    ['no secret', base],
    ['wrong secret', { ...base, secret: 'nope' }],
    ['empty secret', { ...base, secret: '' }],
    ['prefix of the secret', { ...base, secret: SECRET.slice(0, -1) }],
    ['secret plus a byte', { ...base, secret: `${SECRET}x` }],
    ['other case', { ...base, secret: SECRET.toUpperCase() }],
    ['wrong secret wins over a right api_secret', { ...base, secret: 'nope', api_secret: SECRET }],
    ['wrong api_secret', { ...base, api_secret: 'nope' }],
  ];
  for (const [what, params] of cases) assert401(await shapeGet(E, params), what);
  // The secret's raw (unencoded) form is not the secret.
  assert401(await httpGet(E, `/v1/shape?table=items&offset=-1&secret=${SECRET.replace('%', '%25')}`),
    'secret with + and & not encoded');
  // Never from a header.
  for (const [k, v] of [['authorization', `Bearer ${SECRET}`], ['x-electric-secret', SECRET],
    ['secret', SECRET]]) {
    assert401(await shapeGet(E, base, { headers: { [k]: v } }), `header ${k}`);
  }
  // Every method of the shape route but OPTIONS.
  assert401(await shapeGet(E, base, { method: 'HEAD' }), 'HEAD', '*', true);
  assert401(await shapeGet(E, base, { method: 'POST' }), 'POST');
  assert401(await shapeGet(E, base, { method: 'DELETE' }), 'DELETE');
  // Auth comes before validation.
  assert401(await httpGet(E, '/v1/shape'), 'no parameters at all');
  // With an Origin, the 401 echoes it.
  assert401(await shapeGet(E, base, { headers: { origin: 'https://a.example' } }),
    '401 with Origin', 'https://a.example');
});

scenario('32: secret and api_secret work; auth runs before validation', async () => {
  let r = await shapeGet(E, { table: 'items', offset: '-1', secret: SECRET });
  assert.equal(r.status, 200, r.text);
  handle = r.headers['electric-handle'];
  r = await shapeGet(E, { table: 'items', offset: '-1', api_secret: SECRET });
  assert.equal(r.status, 200, `api_secret: ${r.text}`);
  assert.equal(r.headers['electric-handle'], handle);
  r = await shapeGet(E, { table: 'items', offset: '-1', secret: SECRET, api_secret: 'nope' });
  assert.equal(r.status, 200, `secret wins over a wrong api_secret: ${r.text}`);
  r = await shapeGet(E, { table: 'items', offset: '0_0', handle, secret: SECRET });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers['electric-up-to-date'], '');
  // The secret is not part of the shape: same handle as without it.
  r = await shapeGet(E, { table: 'items', offset: '-1', secret: SECRET, foo: 'bar' });
  assert.equal(r.headers['electric-handle'], handle);
  // Right secret, no other parameter: a validation error, not a 401.
  assert400(await shapeGet(E, { secret: SECRET }), 'offset', ["can't be blank"]);
  assert400(await shapeGet(E, { secret: SECRET, offset: '-1' }), 'table', ["can't be blank"]);
});

scenario('32: every path form of the shape route needs the secret', async () => {
  const good = q({ table: 'items', offset: '-1', secret: SECRET });
  const bad = q({ table: 'items', offset: '-1' });
  // Collect every deviation, so that one run names them all.
  const wrong = [];
  for (const p of ['/v1/shape/', '/v1//shape', '/v1/shape//', '/v1/%73hape', '/v1/%73hape/',
    '/v1/sh%61pe', '//v1/shape']) {
    const r401 = await rawRequest(E, `${p}?${bad}`);
    // Never served without the secret, whatever the routing decides.
    assert.notEqual(r401.status, 200, `${p} without the secret is served: auth bypass`);
    try {
      assert401(r401, `${p} without the secret`);
      const r = await rawRequest(E, `${p}?${good}`);
      assert.equal(r.status, 200, `${p} with the secret: ${r.status} ${r.text}`);
      assert.equal(r.headers['electric-handle'], handle, `${p} is the shape endpoint`);
    } catch (err) {
      wrong.push(err.message.split('\n')[0]);
    }
  }
  assert.deepEqual(wrong, [], 'path forms that are not the (authenticated) shape route');
  // HEAD and POST through a normalised path too.
  assert401(await rawRequest(E, `/v1/%73hape?${bad}`, { method: 'HEAD' }), 'HEAD /v1/%73hape', '*', true);
  assert401(await rawRequest(E, `/v1//shape?${bad}`, { method: 'POST', body: '' }), 'POST /v1//shape');
});

scenario('32: OPTIONS, /v1/health, / and unknown paths need no secret', async () => {
  let r = await httpGet(E, '/v1/shape', { method: 'OPTIONS' });
  assert.equal(r.status, 204, r.text);
  r = await httpGet(E, '/v1/shape?table=items&offset=-1', { method: 'OPTIONS' });
  assert.equal(r.status, 204, r.text);
  r = await rawRequest(E, '/v1/%73hape/', { method: 'OPTIONS' });
  assert.equal(r.status, 204, r.text);
  r = await httpGet(E, '/v1/health');
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body, { status: 'active' });
  r = await httpGet(E, '/');
  assert.equal(r.status, 200);
  assert.equal(r.text, '');
  r = await httpGet(E, '/nope');
  assert.equal(r.status, 404);
  assert.equal(r.text, 'Not found');
  r = await httpGet(E, '/v1/shapes?secret=x');
  assert.equal(r.status, 404, '/v1/shapes is not the shape route');
});

scenario('36: DELETE with the secret but integration testing disabled → 405', async () => {
  for (const params of [{ table: 'items' }, { handle }, { table: 'items', handle }, {}]) {
    const r = await shapeGet(E, { ...params, secret: SECRET }, { method: 'DELETE' });
    assert.equal(r.status, 405, `DELETE ${q(params)}: ${r.status} ${r.text}`);
    assert.deepEqual(r.body, { message: 'DELETE not allowed' });
  }
  // The shape is still there.
  const r = await shapeGet(E, { table: 'items', offset: '0_0', handle, secret: SECRET });
  assert.equal(r.status, 200, r.text);
});

scenario('33: OPTIONS preflight and Origin echo', async () => {
  const r = await httpGet(E, '/v1/shape', {
    method: 'OPTIONS',
    headers: {
      origin: 'https://a.example',
      'access-control-request-method': 'GET',
      'access-control-request-headers': 'if-none-match',
    },
  });
  assert.equal(r.status, 204);
  assert.equal(r.text, '');
  assert.deepEqual(methods(r.headers['access-control-allow-methods']), SHAPE_METHODS);
  assert.equal(r.headers['access-control-max-age'], '86400');
  assert.equal(r.headers['access-control-allow-origin'], 'https://a.example');
  assert.equal(r.headers['access-control-expose-headers'], EXPOSE_HEADERS);
  assert.equal(r.headers['cache-control'], undefined, 'OPTIONS has no cache-control');
  assert.match(r.headers['access-control-allow-headers'] ?? '', /(^|[\s,])if-none-match([\s,]|$)/i,
    `if-none-match allowed: ${r.headers['access-control-allow-headers']}`);

  // Without Origin: *.
  const n = await httpGet(E, '/v1/shape', { method: 'OPTIONS' });
  assert.equal(n.headers['access-control-allow-origin'], '*');

  // Every response echoes a single Origin: 200, 400, 404, health.
  const o = { origin: 'https://a.example' };
  const responses = [
    ['200', await shapeGet(E, { table: 'items', offset: '-1', secret: SECRET }, { headers: o })],
    ['400', await shapeGet(E, { table: 'items', secret: SECRET }, { headers: o })],
    ['404', await httpGet(E, '/nope', { headers: o })],
    ['health', await httpGet(E, '/v1/health', { headers: o })],
  ];
  for (const [what, x] of responses) {
    assert.equal(x.headers['access-control-allow-origin'], 'https://a.example', `${what}: origin echo`);
    assert.equal(x.headers['access-control-expose-headers'], EXPOSE_HEADERS, `${what}: expose list`);
    assert.equal(x.headers.vary, undefined, `${what}: no Vary header`);
  }
  assert.deepEqual(methods(responses[0][1].headers['access-control-allow-methods']), SHAPE_METHODS);
  assert.deepEqual(methods(responses[2][1].headers['access-control-allow-methods']), ['GET', 'HEAD'],
    'other paths: GET, HEAD');
  assert.deepEqual(methods(responses[3][1].headers['access-control-allow-methods']), ['GET', 'HEAD'],
    '/v1/health: GET, HEAD');

  // Two Origin headers: not echoed, *.
  const two = await rawRequest(E, `/v1/shape?${q({ table: 'items', offset: '-1', secret: SECRET })}`, {
    headers: [['Origin', 'https://a.example'], ['Origin', 'https://b.example']],
  });
  assert.equal(two.status, 200, two.text);
  assert.equal(two.headers['access-control-allow-origin'], '*', 'two Origin headers → *');

  // The common headers of §1.2.
  const g = responses[0][1];
  assert.match(g.headers['electric-server'] ?? '', /^ElectricSQL\/\S+$/, 'electric-server');
  assert.ok(g.headers['x-request-id'], 'x-request-id');
});

scenario('1.3: both or neither of ELECTRIC_SECRET and ELECTRIC_INSECURE → start-up error', async () => {
  const port = await freePort();
  const base = { ...process.env, DATABASE_URL: db.url, ELECTRIC_PORT: String(port),
    ELECTRIC_STORAGE_DIR: `${TMP}/secure-startup-${process.pid}` };
  onCleanup(() => fs.rmSync(base.ELECTRIC_STORAGE_DIR, { recursive: true, force: true }));
  delete base.ELECTRIC_SECRET;
  delete base.ELECTRIC_INSECURE;
  const cases = [
    ['neither', {}],
    ['both', { ELECTRIC_SECRET: 'x', ELECTRIC_INSECURE: 'true' }],
    ['an empty secret', { ELECTRIC_SECRET: '' }],
    ['an empty secret and insecure=false', { ELECTRIC_SECRET: '', ELECTRIC_INSECURE: 'false' }],
  ];
  for (const [what, env] of cases) {
    const r = spawnSync(ELECTRICD, [], { env: { ...base, ...env }, encoding: 'utf8', timeout: 10_000,
      killSignal: 'SIGKILL' });
    assert.equal(r.signal, null, `${what}: electricd exits by itself (it was killed after 10 s)`);
    assert.notEqual(r.status, 0, `${what}: non-zero exit status`);
    assert.match(r.stderr, /ELECTRIC_SECRET/, `${what}: stderr names the variables: ${r.stderr}`);
    assert.match(r.stderr, /ELECTRIC_INSECURE/, `${what}: stderr names the variables: ${r.stderr}`);
  }
});

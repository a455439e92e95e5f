// hostile: table-driven hostile and tricky inputs against a running
// electricd (PROTOCOL.md §1.4, §2.2, §9; issue 3 "never a crash"), sent
// byte for byte over raw TCP: bad percent escapes, invalid UTF-8, NUL,
// CR/LF, over-long URLs, values and headers, garbage in enum and params
// fields, unknown methods; the decoding rules (+ as space, last key wins,
// case-sensitive keys, live=false); and SQL injection attempts through the
// subset parameters (GET and POST), which must be 400s (or, through
// params, plain values) that change nothing.  Throughout, a live follower
// on the same table keeps working, the http process is never restarted
// and the items table is intact.

import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import {
  assert400, changesFor, cleanup, createDatabase, createItems, dumpLogs, follow, httpGet,
  processTree, rawRequest, readToEnd, scenario, shapeGet, startElectricd, waitFor,
} from './lib.mjs';

let db;
let E;
let items;		// { handle, offset }
let f;			// a live follower on items for the whole file
let httpPid;

before(async () => {
  db = await createDatabase('hostile');
  await createItems(db);
  await db.sql('CREATE TABLE "my table" (id int PRIMARY KEY, v text)');
  E = await startElectricd({ databaseUrl: db.url, env: { ELECTRIC_LONG_POLL_TIMEOUT: '2000' } })
    .catch((err) => { dumpLogs('start-up failed'); throw err; });
  items = await readToEnd(E, { table: 'items' });
  f = follow(E, { handle: items.handle, offset: items.offset });
  await waitFor('the follower to be live', () => f.upToDate);
  httpPid = processTree(E).find((p) => p.role === 'http')?.pid;
  assert.ok(httpPid, 'the http process');
});
after(cleanup);

const S = '/v1/shape?';

/* Sends each [what, target, opts] raw; returns [what, response]. */
async function sendAll(cases) {
  const out = [];
  for (const [what, target, opts] of cases) {
    const r = await rawRequest(E, target, { timeout: 10_000, ...opts }).catch((err) => {
      throw new Error(`${what}: no HTTP answer (${err.message})`);
    });
    out.push([what, r]);
  }
  return out;
}

function assertClientError(r, what, statuses = [400]) {
  assert.ok(statuses.includes(r.status), `${what}: status ${r.status} (want ${statuses}): ${r.text.slice(0, 300)}`);
  if (r.status === 400 && r.body !== undefined) {
    assert.equal(r.headers['cache-control'], 'no-store', `${what}: cache-control`);
  }
}

async function assertStillHealthy(what) {
  const h = await httpGet(E, '/v1/health');
  assert.equal(`${h.status} ${h.text}`, '200 {"status":"active"}', `${what}: health`);
  const now = processTree(E).find((p) => p.role === 'http')?.pid;
  assert.equal(now, httpPid, `${what}: the http process was not restarted`);
  const c = await shapeGet(E, { table: 'items', handle: items.handle, offset: items.offset });
  assert.ok(c.status === 200, `${what}: the shape is still served: ${c.status} ${c.text}`);
}

scenario('bad escapes, invalid UTF-8, NUL, CR/LF → 400, never a crash', async () => {
  const cases = [
    ['%zz in a value', `${S}table=items&offset=%zz`],
    ['truncated escape %', `${S}table=items%&offset=-1`],
    ['truncated escape %4', `${S}table=items&offset=-1&x=%4`],
    ['%zz in a key', `${S}table=items&offset=-1&%zz=1`],
    ['invalid UTF-8 %ff in table', `${S}table=%ff&offset=-1`],
    ['invalid UTF-8 %c3%28 in table', `${S}table=%c3%28&offset=-1`],
    ['overlong UTF-8 %c0%af in table', `${S}table=%c0%afitems&offset=-1`],
    ['UTF-16 surrogate %ed%a0%80 in table', `${S}table=%ed%a0%80&offset=-1`],
    ['truncated UTF-8 %e2%82 in table', `${S}table=items%e2%82&offset=-1`],
    ['quoted table with invalid UTF-8', `${S}table=%22it%ffems%22&offset=-1`],
    ['NUL in table', `${S}table=items%00&offset=-1`],
    ['NUL inside table', `${S}table=it%00ems&offset=-1`],
    ['NUL in offset', `${S}table=items&offset=-1%00`],
    ['NUL in handle', `${S}table=items&offset=0_0&handle=${items.handle}%00x`],
    ['CR LF in table', `${S}table=items%0d%0aX-Evil:%201&offset=-1`],
    ['invalid UTF-8 in offset', `${S}table=items&offset=%ff`],
    ['raw byte 0xff in the query', `${S}table=it\xffems&offset=-1`],
    ['invalid UTF-8 in columns', `${S}table=items&offset=-1&columns=%ff`],
    ['invalid UTF-8 in where', `${S}table=items&offset=-1&where=%ff`],
  ];
  const wrong = [];
  for (const [what, r] of await sendAll(cases)) {
    try {
      assertClientError(r, what);
      assert.equal(r.headers['x-evil'], undefined, `${what}: no injected header`);
    } catch (err) {
      wrong.push(err.message.split('\n')[0]);
    }
  }
  assert.deepEqual(wrong, [], 'hostile query strings not answered with a 400');
  await assertStillHealthy('after bad escapes');
});

scenario('over-long URLs, values, headers and many parameters', async () => {
  const cases = [
    ['a 100 KiB URL', `${S}table=items&offset=-1&foo=${'a'.repeat(100 * 1024)}`, [414, 400]],
    ['a 1 MiB URL', `${S}table=items&offset=-1&foo=${'a'.repeat(1024 * 1024)}`, [414, 400, 431]],
    ['a 30 KiB table name', `${S}offset=-1&table=${'t'.repeat(30 * 1024)}`, [400, 414]],
    ['a 30 KiB handle', `${S}table=items&offset=0_0&handle=${'h'.repeat(30 * 1024)}`, [400, 409, 414]],
    ['a 30 KiB offset', `${S}table=items&offset=${'1'.repeat(30 * 1024)}_0&handle=${items.handle}`,
      [400, 414]],
    ['a 64-bit overflowing offset', `${S}table=items&offset=99999999999999999999999_0&handle=${items.handle}`,
      [400]],
    ['a 200 KiB header', `${S}table=items&offset=-1`, [400, 413, 431],
      { headers: [['X-Big', 'b'.repeat(200 * 1024)]] }],
  ];
  const wrong = [];
  for (const [what, target, statuses, opts] of cases) {
    const r = await rawRequest(E, target, { timeout: 10_000, ...opts })
      .catch((err) => ({ status: `no answer (${err.message.slice(0, 120)})`, headers: {}, text: '' }));
    try {
      assertClientError(r, what, statuses);
    } catch (err) {
      wrong.push(err.message.split('\n')[0]);
    }
  }
  // 2000 unknown parameters (short enough for the URL limit): ignored, or
  // refused with a 400; never a crash.
  const many = Array.from({ length: 2000 }, (_, i) => `p${i}=1`).join('&');
  const m = await rawRequest(E, `${S}${many}&table=items&offset=-1`, { timeout: 10_000 });
  if (m.status !== 200) {
    try { assertClientError(m, '2000 parameters'); } catch (err) { wrong.push(err.message.split('\n')[0]); }
  } else {
    assert.equal(m.headers['electric-handle'], items.handle, '2000 unknown parameters are ignored');
  }
  assert.deepEqual(wrong, [], 'over-long inputs not answered as expected');
  await assertStillHealthy('after long inputs');
});

scenario('garbage in enums and params → the exact 400s', async () => {
  const base = { table: 'items', offset: '-1' };
  assert400(await shapeGet(E, { ...base, replica: 'bogus' }), 'replica', ['is invalid']);
  assert400(await shapeGet(E, { ...base, log: 'bogus' }), 'log', ['is invalid']);
  assert400(await shapeGet(E, { ...base, params: 'garbage' }), 'params', ['is invalid'], 'params=garbage');
  assert400(await shapeGet(E, { ...base, params: '{"1":"x"}' }), 'params', ['is invalid'],
    'params as a JSON string (not a map)');
  // Stage 2 (types) comes before stage 3 (offset).
  assert400(await shapeGet(E, { table: 'items', replica: 'bogus' }), 'replica', ['is invalid'],
    'replica=bogus without offset');
  // params[...] with non-numeric keys: a 400 under params (stage 8, with
  // the where checks: until WHERE support lands, a 400 under where is as
  // good).
  const r = await rawRequest(E, `${S}table=items&offset=-1&where=id%20%3D%20%241&params%5Bx%5D=1`);
  assert.equal(r.status, 400, r.text);
  assert.ok(r.body?.errors?.params || r.body?.errors?.where, `params[x]: ${r.text}`);
  await assertStillHealthy('after garbage');
});

scenario('decoding: + is a space, the last key wins, keys are case-sensitive', async () => {
  const mine = await rawRequest(E, `${S}table=%22my+table%22&offset=-1`);
  assert.equal(mine.status, 200, `"my table" with +: ${mine.text}`);
  const mine2 = await rawRequest(E, `${S}table=%22my%20table%22&offset=-1`);
  assert.equal(mine2.headers['electric-handle'], mine.headers['electric-handle'], '+ = %20');

  let x = await rawRequest(E, `${S}table=nope&table=items&offset=-1`);
  assert.equal(x.status, 200, `last table wins: ${x.text}`);
  assert.equal(x.headers['electric-handle'], items.handle);
  x = await rawRequest(E, `${S}table=items&offset=0_0&offset=-1`);
  assert.equal(x.status, 200, `last offset wins (-1, no handle needed): ${x.text}`);
  x = await rawRequest(E, `${S}TABLE=items&offset=-1`);
  assert400(x, 'table', ["can't be blank"], 'TABLE= is not table=');
  x = await rawRequest(E, `${S}t%61ble=it%65ms&off%73et=-1`);
  assert.equal(x.status, 200, `percent-encoded keys: ${x.text}`);
  assert.equal(x.headers['electric-handle'], items.handle);
  x = await rawRequest(E, `${S}table=items&offset=-1&live=false`);
  assert.equal(x.status, 200, `live=false is not live: ${x.text}`);
  for (const v of ['', 'true', '1', 'no']) {
    x = await rawRequest(E, `${S}table=items&offset=-1&live=${v}`);
    assert400(x, 'live', ["can't be true when offset == -1"], `live=${v} is live`);
  }
  x = await rawRequest(E, `${S}table=items&offset=-1&live`);
  assert400(x, 'live', ["can't be true when offset == -1"], 'bare live is live');
  // A query without values and with empty pairs.
  x = await rawRequest(E, `${S}&&table=items&&offset=-1&&=&x=`);
  assert.equal(x.status, 200, `empty pairs: ${x.status} ${x.text}`);
});

scenario('methods: unknown ones → 404, HTTP/1.0, a truncated request', async () => {
  for (const method of ['PUT', 'PATCH', 'TRACE']) {
    const r = await rawRequest(E, `${S}table=items&offset=-1`, { method, body: '' });
    assert.equal(r.status, 404, `${method}: ${r.status} ${r.text}`);
  }
  // A request cut off in the middle: the server just drops it.
  const net = await import('node:net');
  await new Promise((resolve) => {
    const s = net.connect(E.port, '127.0.0.1', () => {
      s.end('GET /v1/shape?table=items&off');
    });
    s.on('close', resolve);
    s.on('error', resolve);
    s.resume();
  });
  await assertStillHealthy('after odd methods');
});

const INJECTIONS = [
  '1=1; DROP TABLE items',
  'true) OR (true',
  "' OR TRUE --",
  'id = 1) UNION SELECT 1, 2, 3 --',
  'id = 1; SELECT pg_sleep(10)',
  'pg_sleep(3) IS NOT NULL',
  '(SELECT count(*) FROM pg_authid) > 0',
  'id IN (SELECT id FROM items)',
  'id = 1 /*',
  'id = 1 */ OR true',
  'true; COMMIT; DROP TABLE items',
  '$$ DROP TABLE items $$',
  'id = $1',
  'title = current_setting(\'data_directory\')',
  'lo_import(\'/etc/passwd\') > 0',
];

scenario('subset__where injection attempts → 400, nothing changes', async () => {
  const wrong = [];
  for (const where of INJECTIONS) {
    for (const log of ['changes_only', 'full']) {
      const r = await shapeGet(E, { table: 'items', log, offset: '-1', subset__where: where },
        { timeout: 10_000 });
      if (r.status !== 400 || r.body?.message !== 'Invalid request' || r.ms > 2500) {
        wrong.push(`log=${log} subset__where=${JSON.stringify(where)}: ${r.status} in ${r.ms} ms ${r.text.slice(0, 200)}`);
      }
    }
  }
  for (const ob of ['id; DROP TABLE items', 'id, (SELECT 1)', 'pg_sleep(3)', 'id DESC; SELECT 1', '$1',
    'id::text', 'lower(title)']) {
    const r = await shapeGet(E, {
      table: 'items', log: 'changes_only', offset: '-1', subset__order_by: ob, subset__limit: '1',
    }, { timeout: 10_000 });
    if (r.status !== 400) wrong.push(`subset__order_by=${JSON.stringify(ob)}: ${r.status} ${r.text.slice(0, 200)}`);
  }
  for (const lim of ['1; DROP TABLE items', '1 OR 1=1', '(SELECT 1)', '1e9999']) {
    const r = await shapeGet(E, {
      table: 'items', log: 'changes_only', offset: '-1', subset__order_by: 'id', subset__limit: lim,
    });
    if (r.status !== 400) wrong.push(`subset__limit=${JSON.stringify(lim)}: ${r.status} ${r.text.slice(0, 200)}`);
  }
  for (const params of ['garbage', '[1]', '{"1":', '{"a":"x"}', '{"1":{"x":1}}']) {
    const r = await shapeGet(E, {
      table: 'items', log: 'changes_only', offset: '-1', subset__where: 'title = $1', subset__params: params,
    });
    if (r.status !== 400) wrong.push(`subset__params=${params}: ${r.status} ${r.text.slice(0, 200)}`);
  }
  // POST bodies.
  for (const where of INJECTIONS.slice(0, 6)) {
    const r = await httpGet(E, `/v1/shape?${new URLSearchParams({ table: 'items', log: 'changes_only', offset: '-1' })}`,
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ where }) });
    if (r.status !== 400) wrong.push(`POST where=${JSON.stringify(where)}: ${r.status} ${r.text.slice(0, 200)}`);
  }
  assert.deepEqual(wrong, [], 'injection attempts that were not refused with a 400');

  const [{ n }] = await db.sql('SELECT count(*)::int AS n FROM items');
  assert.equal(n, 2, 'items still exists with its rows');
  await assertStillHealthy('after the injection attempts');
});

scenario('subset params are values, never SQL', async () => {
  const evil = "x'); DROP TABLE items; --";
  const r = await shapeGet(E, {
    table: 'items', log: 'changes_only', offset: '-1', subset__where: 'title = $1',
    subset__params: JSON.stringify({ 1: evil }),
  });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body?.data, [], 'no row has that title');
  const t = await shapeGet(E, {
    table: 'items', log: 'changes_only', offset: '-1', subset__where: 'title = $1',
    subset__params: JSON.stringify({ 1: "' OR TRUE --" }),
  });
  assert.equal(t.status, 200, t.text);
  assert.deepEqual(t.body?.data, []);
  const [{ n }] = await db.sql('SELECT count(*)::int AS n FROM items');
  assert.equal(n, 2, 'items intact');
});

scenario('the follower was unaffected throughout', async () => {
  await db.sql("INSERT INTO items VALUES (99, 'after the storm', true)");
  await waitFor('the follower to get row 99', () => changesFor(f, 99).length === 1, 10_000);
  assert.deepEqual(f.errors, [], 'no errors for the follower');
  await assertStillHealthy('at the end');
  const log = E.log();
  assert.doesNotMatch(log, /exited on signal|killed by signal|AddressSanitizer|segfault/i,
    'no process crashed');
});

// changes_only: log=changes_only shapes and subset snapshots (PROTOCOL.md
// §7.4, §9, §5.3; §17 items 30 and 38).  A changes_only shape starts with
// a lone snapshot-end and then delivers only changes committed after it
// was created; subset snapshots (GET subset__* parameters and POST JSON
// bodies, plain or wrapped in "subset") return {metadata, data} with
// electric-snapshot: true; limit/offset without order_by → 400; POST
// bodies that are not JSON objects → 400, too large → 413.

import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import {
  CACHE, assertUpToDateOnly, cleanup, createDatabase, createItems, dumpLogs, httpGet, isChange,
  readToEnd, scenario, shapeGet, sleep, startElectricd,
} from './lib.mjs';

const ROWS = [[1, 'alpha', false], [2, 'beta', true], [3, 'gamma', null], [4, 'delta', false],
  [5, 'omega', true]];
const KEY = (id) => `"public"."items"/"${id}"`;

let db;
let E;
let co;		// the changes_only shape: { handle, offset }

before(async () => {
  db = await createDatabase('changes');
  await createItems(db, ROWS);
  E = await startElectricd({ databaseUrl: db.url, env: { ELECTRIC_LONG_POLL_TIMEOUT: '2000' } })
    .catch((err) => { dumpLogs('start-up failed'); throw err; });
});
after(cleanup);

const qs = (p) => new URLSearchParams(p).toString();

/* The changes_only shape read to its end (when an earlier subtest failed
 * before it got there). */
async function ensureCo() {
  if (co?.offset) return;
  const s = await readToEnd(E, { table: 'items', log: 'changes_only' });
  co = { handle: s.handle, offset: s.offset };
}

scenario('30: changes_only starts with only snapshot-end', async () => {
  const r = await shapeGet(E, { table: 'items', log: 'changes_only', offset: '-1' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers['electric-offset'], '0_0');
  assert.equal(r.headers['cache-control'], CACHE.minusOne);
  assert.ok(r.headers['electric-schema'], 'schema');
  assert.ok(Array.isArray(r.body) && r.body.length === 1, `exactly [snapshot-end]: ${r.text}`);
  const h = r.body[0].headers;
  assert.deepEqual(Object.keys(r.body[0]), ['headers']);
  assert.equal(h.control, 'snapshot-end');
  assert.match(h.xmin, /^\d+$/);
  assert.match(h.xmax, /^\d+$/);
  assert.ok(Array.isArray(h.xip_list) && h.xip_list.every((x) => /^\d+$/.test(x)));
  co = { handle: r.headers['electric-handle'] };
  const u = await shapeGet(E, { table: 'items', log: 'changes_only', handle: co.handle, offset: '0_0' });
  assert.equal(u.status, 200, u.text);
  assertUpToDateOnly(u);
  co.offset = u.headers['electric-offset'];
  // log=full on the same table is another shape with the rows.
  const f = await readToEnd(E, { table: 'items' });
  assert.notEqual(f.handle, co.handle);
  assert.equal(f.messages.filter(isChange).length, ROWS.length);
});

scenario('30: later changes are delivered, earlier rows never', async () => {
  await ensureCo();
  const p = shapeGet(E, {
    table: 'items', log: 'changes_only', handle: co.handle, offset: co.offset, live: 'true', cursor: '',
  });
  await sleep(300);
  await db.sql("INSERT INTO items VALUES (6, 'epsilon', true)");
  const l = await p;
  assert.equal(l.status, 200, l.text);
  assert.deepEqual(l.body.filter(isChange).map((m) => `${m.headers.operation} ${m.key}`),
    [`insert ${KEY(6)}`], l.text);
  await db.sql("UPDATE items SET title = 'ALPHA' WHERE id = 1");
  await sleep(500);
  // Catch-up from the start: the insert and the update, no snapshot rows.
  let offset = '0_0';
  const seen = [];
  for (let i = 0; i < 20; i++) {
    const r = await shapeGet(E, { table: 'items', log: 'changes_only', handle: co.handle, offset });
    assert.equal(r.status, 200, r.text);
    seen.push(...r.body.filter(isChange).map((m) => `${m.headers.operation} ${m.key}`));
    offset = r.headers['electric-offset'];
    if (r.headers['electric-up-to-date'] !== undefined) break;
  }
  assert.deepEqual(seen, [`insert ${KEY(6)}`, `update ${KEY(1)}`]);
  co.offset = offset;
});

/* Checks a subset response; returns its data rows. */
function assertSubset(r, what, { post = false, handle = co.handle } = {}) {
  assert.equal(r.status, 200, `${what}: ${r.status} ${r.text}`);
  assert.equal(r.headers['electric-snapshot'], 'true', `${what}: electric-snapshot`);
  assert.equal(r.headers['cache-control'], 'no-cache', `${what}: cache-control${post ? ' (POST)' : ''}`);
  assert.equal(r.headers['electric-handle'], handle, `${what}: electric-handle`);
  assert.match(r.headers['electric-offset'] ?? '', /^\d+_(\d+|inf)$/, `${what}: electric-offset`);
  assert.ok(r.headers['electric-schema'], `${what}: electric-schema`);
  assert.equal(r.headers['electric-up-to-date'], undefined, `${what}: no electric-up-to-date`);
  assert.match(r.headers['content-type'] ?? '', /^application\/json/);
  assert.ok(r.body && !Array.isArray(r.body), `${what}: an object: ${r.text}`);
  assert.deepEqual(Object.keys(r.body).sort(), ['data', 'metadata'], `${what}: ${r.text}`);
  const md = r.body.metadata;
  assert.match(md.xmin, /^\d+$/, `${what}: metadata.xmin`);
  assert.match(md.xmax, /^\d+$/, `${what}: metadata.xmax`);
  assert.ok(Array.isArray(md.xip_list) && md.xip_list.every((x) => /^\d+$/.test(x)), `${what}: xip_list`);
  assert.match(md.database_lsn, /^\d+$/, `${what}: database_lsn is a decimal string`);
  assert.ok(Number.isInteger(md.snapshot_mark) && md.snapshot_mark >= 0 && md.snapshot_mark < 2 ** 31,
    `${what}: snapshot_mark ${md.snapshot_mark}`);
  assert.ok(Array.isArray(r.body.data), `${what}: data`);
  for (const m of r.body.data) {
    assert.ok(isChange(m), `${what}: a row: ${JSON.stringify(m)}`);
    assert.deepEqual(m.headers, {
      operation: 'insert', relation: ['public', 'items'], snapshot_mark: md.snapshot_mark,
    }, `${what}: row headers`);
    assert.deepEqual(Object.keys(m.value).sort(), ['done', 'id', 'title']);
    assert.equal(m.key, KEY(m.value.id));
  }
  return r.body.data;
}

const ids = (data) => data.map((m) => Number(m.value.id));

scenario('38: subset snapshots via GET', async () => {
  await ensureCo();
  const base = { table: 'items', log: 'changes_only' };
  let r = await shapeGet(E, {
    ...base, offset: '-1', subset__where: 'title ILIKE $1', subset__params: '{"1":"%a%"}',
    subset__order_by: 'id', subset__limit: '1',
  });
  assert.deepEqual(ids(assertSubset(r, 'ILIKE, order_by id, limit 1')), [1]);
  assert.match(r.body.data[0].value.title, /^alpha$/i);

  r = await shapeGet(E, {
    ...base, offset: co.offset, handle: co.handle, subset__where: 'title ILIKE $1',
    subset__params: '{"1":"%ta%"}', subset__order_by: 'id DESC',
  });
  assert.deepEqual(ids(assertSubset(r, 'ILIKE %ta%, order_by id DESC')), [4, 2]);
  assert.equal(r.headers['electric-offset'], co.offset, 'electric-offset: the end for a request at the end');

  r = await shapeGet(E, {
    ...base, offset: '-1', subset__order_by: 'id', subset__limit: '2', subset__offset: '1',
  });
  assert.deepEqual(ids(assertSubset(r, 'order_by id, limit 2, offset 1')), [2, 3]);

  r = await shapeGet(E, { ...base, offset: '-1', subset__where: 'id = $1', subset__params: '{"1":"5"}' });
  assert.deepEqual(ids(assertSubset(r, 'id = $1')), [5]);
  assert.deepEqual(r.body.data[0].value, { id: '5', title: 'omega', done: r.body.data[0].value.done });

  // Ignored extras the client sends (§2.6, §16.9).
  r = await shapeGet(E, {
    ...base, offset: '-1', subset__where: 'done = true', subset__where_expr: '{"type":"ref"}',
    subset__order_by: 'id', subset__order_by_expr: '[{"column":"id"}]',
  });
  const done = (await db.sql('SELECT id FROM items WHERE done ORDER BY id')).map((x) => x.id);
  assert.deepEqual(ids(assertSubset(r, 'with where_expr/order_by_expr')), done);

  // Nothing matches: empty data, still the metadata.
  r = await shapeGet(E, { ...base, offset: '-1', subset__where: 'id > 1000' });
  assert.deepEqual(assertSubset(r, 'no match'), []);

  // Each subset gets its own mark.
  const marks = new Set();
  for (let i = 0; i < 3; i++) {
    const x = await shapeGet(E, { ...base, offset: '-1', subset__where: 'id = 1' });
    marks.add(assertSubset(x, 'mark')[0].headers.snapshot_mark);
  }
  assert.ok(marks.size >= 2, `random snapshot_mark per subset: ${[...marks]}`);
});

scenario('38: limit or offset without order_by → 400 under subset', async () => {
  for (const extra of [{ subset__limit: '1' }, { subset__offset: '1' },
    { subset__limit: '1', subset__where: 'id > 0' }]) {
    const r = await shapeGet(E, { table: 'items', log: 'changes_only', offset: '-1', ...extra });
    assert.equal(r.status, 400, `${qs(extra)}: ${r.status} ${r.text}`);
    assert.equal(r.body?.message, 'Invalid request', r.text);
    assert.ok(r.body?.errors?.subset && typeof r.body.errors.subset === 'object',
      `errors nested under subset: ${r.text}`);
    assert.match(JSON.stringify(r.body.errors.subset), /order_by is required when limit or offset is present/,
      r.text);
    assert.equal(r.headers['cache-control'], 'no-store');
  }
  // Bad limit / offset values.
  for (const extra of [{ subset__limit: '0' }, { subset__limit: '-1' }, { subset__limit: 'x' },
    { subset__offset: '-1' }]) {
    const r = await shapeGet(E, {
      table: 'items', log: 'changes_only', offset: '-1', subset__order_by: 'id', ...extra,
    });
    assert.equal(r.status, 400, `${qs(extra)}: ${r.status} ${r.text}`);
    assert.ok(r.body?.errors?.subset, `under subset: ${r.text}`);
  }
});

const post = (params, body, headers = { 'content-type': 'application/json' }) =>
  httpGet(E, `/v1/shape?${qs(params)}`, { method: 'POST', body, headers });

scenario('38: subset snapshots via POST', async () => {
  await ensureCo();
  const base = { table: 'items', log: 'changes_only', offset: '-1' };
  let r = await post(base, JSON.stringify({
    where: 'title ILIKE $1', params: { 1: '%a%' }, order_by: 'id', limit: 1,
  }));
  assert.deepEqual(ids(assertSubset(r, 'POST where/params/order_by/limit', { post: true })), [1]);

  r = await post(base, JSON.stringify({
    subset: { where: 'id = $1 OR id = $2', params: { 1: '2', 2: '4' }, order_by: 'id DESC' },
  }));
  assert.deepEqual(ids(assertSubset(r, 'POST {"subset":{...}}', { post: true })), [4, 2]);

  r = await post(base, JSON.stringify({ where: 'id = $1', params: { 1: 3 } }));
  assert.deepEqual(ids(assertSubset(r, 'POST numeric param value', { post: true })), [3]);

  r = await post(base, JSON.stringify({ limit: 1 }));
  assert.equal(r.status, 400, `POST limit without order_by: ${r.text}`);
  assert.match(JSON.stringify(r.body?.errors?.subset ?? ''), /order_by is required/, r.text);

  // An empty body is a plain log request.
  r = await post(base, '');
  assert.equal(r.status, 200, r.text);
  assert.ok(Array.isArray(r.body) && r.body.length === 1 && r.body[0].headers.control === 'snapshot-end',
    `empty POST body = the log: ${r.text}`);
  assert.equal(r.headers['electric-snapshot'], undefined);
  assert.equal(r.headers['cache-control'], 'no-cache', 'POST: no-cache');
});

scenario('38: POST bodies that are not JSON objects, or too large', async () => {
  await ensureCo();
  const base = { table: 'items', log: 'changes_only', offset: '-1' };
  for (const body of ['[1,2]', '"where"', '42', 'null', 'true']) {
    const r = await post(base, body);
    assert.equal(r.status, 400, `POST ${body}: ${r.status} ${r.text}`);
    assert.deepEqual(r.body, { error: 'Request body must be a JSON object' }, `POST ${body}`);
  }
  for (const body of ['{bad', '{"where":', '{"where":"id = 1"} x', '\u00ff']) {
    const r = await post(base, body);
    assert.equal(r.status, 400, `POST ${JSON.stringify(body)}: ${r.status} ${r.text}`);
    assert.equal(r.body?.error, 'Invalid JSON in request body', `POST ${JSON.stringify(body)}: ${r.text}`);
    assert.equal(typeof r.body?.details, 'string', `details: ${r.text}`);
  }
  const big = JSON.stringify({ where: `id IN (${Array.from({ length: 1_500_000 }, (_, i) => i).join(',')})` });
  const r = await post(base, big).catch((err) => ({ status: 'network error', text: err.message }));
  assert.equal(r.status, 413, `POST of ${(big.length / 1048576).toFixed(1)} MiB: ${r.status} ${r.text?.slice(0, 200)}`);
  assert.deepEqual(r.body, { error: 'Request body too large' });
  // Still serving.
  const ok = await post(base, JSON.stringify({ where: 'id = 1' }));
  assertSubset(ok, 'after the hostile bodies', { post: true });
});

// http_basic: the HTTP Shape API against PROTOCOL.md §17 (items 1-19, 27,
// 34, 35 as far as whole-table shapes go), over plain fetch, one electricd
// with a 2 s long-poll timeout, table items(id, title, done) with 2 rows.
// The subtests run in order and share the shape: later ones continue from
// the offset the earlier ones reached.

import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import {
  cleanup, createDatabase, createItems, dumpLogs, httpGet, isChange, isUpToDate,
  scenario, shapeGet, sleep, startElectricd,
} from './lib.mjs';

const LONG_POLL_MS = 2000;
const EXPOSE = 'electric-cursor,electric-handle,electric-has-data,electric-offset,' +
  'electric-schema,electric-up-to-date,electric-internal-known-error,retry-after';
const CACHE_MINUS_ONE = 'public, max-age=604800, s-maxage=3600, stale-while-revalidate=2629746';
const CACHE_CATCHUP = 'public, max-age=60, stale-while-revalidate=300';
const CACHE_LIVE = 'public, max-age=5, stale-while-revalidate=5';
const KEY = (id) => `"public"."items"/"${id}"`;
const BOOL_TEXT = { true: ['t', 'true'], false: ['f', 'false'] };

let db;
let E;
let handle;		// the items shape
let offset;		// the last electric-offset this "client" holds
let etag12;

before(async () => {
  db = await createDatabase('http');
  await createItems(db);
  E = await startElectricd({
    databaseUrl: db.url,
    env: { ELECTRIC_LONG_POLL_TIMEOUT: String(LONG_POLL_MS) },
  }).catch((err) => { dumpLogs('start-up failed'); throw err; });
});
after(cleanup);

function assert400(r, field, messages) {
  assert.equal(r.status, 400, `status of ${field} error; body ${r.text}`);
  assert.deepEqual(r.body, { message: 'Invalid request', errors: { [field]: messages } });
  assert.equal(r.headers['cache-control'], 'no-store');
  assert.equal(r.headers['surrogate-control'], 'no-store');
  assert.equal(r.headers['electric-has-data'], undefined);
}

function assertUpToDateOnly(r) {
  assert.ok(Array.isArray(r.body), `body is an array: ${r.text}`);
  assert.equal(r.body.length, 1, `only up-to-date: ${r.text}`);
  assert.deepEqual(Object.keys(r.body[0]), ['headers']);
  assert.deepEqual(Object.keys(r.body[0].headers).sort(), ['control', 'global_last_seen_lsn']);
  assert.equal(r.body[0].headers.control, 'up-to-date');
  assert.match(r.body[0].headers.global_last_seen_lsn, /^\d+$/);
}

/* Long-polls from the current offset while fn() runs (after 300 ms). */
async function liveWhile(fn) {
  const p = shapeGet(E, { table: 'items', handle, offset, live: 'true', cursor: '' });
  await sleep(300);
  const t0 = Date.now();
  await fn();
  const r = await p;
  r.sinceWrite = Date.now() - t0;
  assert.equal(r.status, 200, r.text);
  assert.ok(Array.isArray(r.body), r.text);
  return r;
}

/* Checks the replication headers of change m; returns them. */
function assertReplicated(m, op) {
  assert.equal(m.headers.operation, op, JSON.stringify(m));
  assert.deepEqual(m.headers.relation, ['public', 'items']);
  assert.match(m.headers.lsn, /^\d+$/, 'lsn is a decimal string');
  assert.ok(Number.isInteger(m.headers.op_position), 'op_position is an integer');
  assert.equal(m.headers.op_position % 2, 0, 'op_position is even');
  assert.ok(Array.isArray(m.headers.txids) && m.headers.txids.length === 1 &&
    Number.isInteger(m.headers.txids[0]), `txids [int]: ${JSON.stringify(m.headers.txids)}`);
  return m.headers;
}

/* A live response with changes: ends with up-to-date whose lsn is the
 * last change's, electric-offset = lsn_op of the last change. */
function assertLiveBatch(r) {
  const last = r.body[r.body.length - 1];
  assert.ok(isUpToDate(last), `ends with up-to-date: ${r.text}`);
  const changes = r.body.slice(0, -1);
  assert.ok(changes.length > 0 && changes.every(isChange), `changes then up-to-date: ${r.text}`);
  const lc = changes[changes.length - 1];
  assert.equal(r.headers['electric-offset'], `${lc.headers.lsn}_${lc.headers.op_position}`);
  assert.equal(last.headers.global_last_seen_lsn, lc.headers.lsn);
  assert.equal(r.headers['electric-up-to-date'], '');
  assert.equal(r.headers['electric-has-data'], 'true');
  assert.match(r.headers['electric-cursor'] ?? '', /^\d+$/);
  assert.equal(r.headers['electric-schema'], undefined, 'no schema on live responses');
  assert.equal(r.headers['cache-control'], CACHE_LIVE);
  assert.equal(lc.headers.last, true, 'last change of the txn has last:true');
  offset = r.headers['electric-offset'];
  return changes;
}

scenario('1: / and unknown paths', async () => {
  let r = await httpGet(E, '/');
  assert.equal(r.status, 200);
  assert.equal(r.text, '');
  r = await httpGet(E, '/nope');
  assert.equal(r.status, 404);
  assert.equal(r.text, 'Not found');
  assert.equal(r.headers['access-control-allow-methods'], 'GET, HEAD');
});

scenario('2: health is active', async () => {
  const r = await httpGet(E, '/v1/health');
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { status: 'active' });
  assert.equal(r.headers['cache-control'], 'no-cache, no-store, must-revalidate');
  assert.match(r.headers['content-type'] ?? '', /^application\/json/);
});

scenario('3-6: offset, handle and live validation', async () => {
  assert400(await shapeGet(E, { table: 'items' }), 'offset', ["can't be blank"]);
  for (const bad of ['abc', '10', '0_-1', '1_2_3', '10_32.1']) {
    assert400(await shapeGet(E, { table: 'items', offset: bad }), 'offset', ['has invalid format']);
  }
  assert400(await shapeGet(E, { table: 'items', offset: '0_0' }), 'handle',
    ["can't be blank when offset != -1"]);
  assert400(await shapeGet(E, { table: 'items', offset: '-1', live: 'true' }), 'live',
    ["can't be true when offset == -1"]);
  assert400(await shapeGet(E, { table: 'items', offset: 'now', live: 'true' }), 'live',
    ["can't be true when offset is 'now'"]);
  assert400(await shapeGet(E, { table: 'items', offset: '-1', live_sse: 'true' }), 'live_sse',
    ["can't be true unless live is also true"]);
});

scenario('7: table name errors', async () => {
  assert400(await shapeGet(E, { table: 'nonexistent', offset: '-1' }), 'table',
    ['Table "public"."nonexistent" does not exist. If the table name contains capitals or ' +
     'special characters you must quote it.']);
  assert400(await shapeGet(E, { table: '.x', offset: '-1' }), 'table',
    ['Invalid zero-length delimited identifier']);
  assert400(await shapeGet(E, { table: 'a.b.c', offset: '-1' }), 'table',
    ['Invalid relation identifier, too many delimiters: a.b.c']);
  assert400(await shapeGet(E, { offset: '-1' }), 'table', ["can't be blank"]);
});

scenario('2.2 stage 8: where, columns and params errors name their parameter', async () => {
  const cases = [
    ['where', { where: 'nope > 1' }, 'At location 0: unknown reference nope'],
    ['where', { where: 'id +' }, undefined],
    ['columns', { columns: '"id",' }, 'Invalid zero-length delimited identifier'],
    ['columns', { columns: 'title' }, 'The list of columns must include all primary key columns, missing: id'],
    ['params', { where: 'id = $1', 'params[2]': 'x' }, 'Parameters must be numbered sequentially, starting from 1'],
    ['params', { 'params[x]': '1' }, 'Parameters can only use numbers as keys'],
  ];
  for (const [field, extra, msg] of cases) {
    const r = await shapeGet(E, { table: 'items', offset: '-1', ...extra });
    const what = `${field} ${JSON.stringify(extra)}`;
    assert.equal(r.status, 400, `${what}: ${r.status} ${r.text}`);
    assert.equal(r.body?.message, 'Invalid request', `${what}: ${r.text}`);
    assert.deepEqual(Object.keys(r.body?.errors ?? {}), [field], `${what}: ${r.text}`);
    if (msg) assert.deepEqual(r.body.errors[field], [msg], what);
    assert.equal(r.headers['cache-control'], 'no-store');
  }
});

scenario('9-11: offset=-1 returns the snapshot', async () => {
  const r = await shapeGet(E, { table: 'items', offset: '-1' });
  assert.equal(r.status, 200, r.text);
  handle = r.headers['electric-handle'];
  offset = '0_0';
  assert.match(handle ?? '', /^[A-Za-z0-9_-]+$/, 'URL-safe handle');
  assert.equal(r.headers['electric-offset'], '0_0');
  assert.equal(r.headers['cache-control'], CACHE_MINUS_ONE);
  assert.equal(r.headers.etag, `"${handle}:-1:0_0"`);
  assert.equal(r.headers['electric-has-data'], 'true');
  assert.equal(r.headers['electric-up-to-date'], undefined);
  assert.match(r.headers['content-type'] ?? '', /^application\/json/);
  // 11: the schema
  assert.deepEqual(JSON.parse(r.headers['electric-schema']), {
    done: { type: 'bool' },
    id: { type: 'int4', not_null: true, pk_index: 0 },
    title: { type: 'text' },
  });
  // 10: the body
  assert.ok(Array.isArray(r.body), r.text);
  assert.equal(r.body.length, 3, r.text);
  const end = r.body[2];
  assert.equal(end.headers.control, 'snapshot-end');
  assert.match(end.headers.xmin, /^\d+$/);
  assert.match(end.headers.xmax, /^\d+$/);
  assert.ok(Array.isArray(end.headers.xip_list) &&
    end.headers.xip_list.every((x) => typeof x === 'string' && /^\d+$/.test(x)));
  const rows = r.body.slice(0, 2).sort((a, b) => a.key.localeCompare(b.key));
  assert.deepEqual(rows.map((m) => m.key), [KEY(1), KEY(2)]);
  for (const m of rows) {
    assert.deepEqual(m.headers, { operation: 'insert', relation: ['public', 'items'] });
    assert.deepEqual(Object.keys(m.value).sort(), ['done', 'id', 'title']);
    for (const v of Object.values(m.value)) assert.ok(v === null || typeof v === 'string');
  }
  assert.equal(rows[0].value.id, '1');
  assert.equal(rows[0].value.title, 'first');
  assert.ok(BOOL_TEXT.false.includes(rows[0].value.done), rows[0].value.done);
  assert.equal(rows[1].value.id, '2');
  assert.ok(BOOL_TEXT.true.includes(rows[1].value.done), rows[1].value.done);

  // The same request again: same handle, byte-identical body.
  const again = await shapeGet(E, { table: 'items', offset: '-1' });
  assert.equal(again.headers['electric-handle'], handle);
  assert.equal(again.text, r.text);
});

scenario('34: HEAD has the GET headers and no body', async () => {
  const g = await shapeGet(E, { table: 'items', offset: '-1' });
  const h = await shapeGet(E, { table: 'items', offset: '-1' }, { method: 'HEAD' });
  assert.equal(h.status, 200);
  assert.equal(h.text, '');
  for (const name of ['electric-handle', 'electric-offset', 'electric-schema', 'cache-control',
    'etag', 'electric-has-data', 'access-control-expose-headers']) {
    assert.equal(h.headers[name], g.headers[name], name);
  }
});

scenario('35: unknown params are ignored', async () => {
  const r = await shapeGet(E, {
    table: 'items', offset: '-1', cursor: '123', expired_handle: 'x-1', 'cache-buster': 'abc',
    foo: 'bar', log: 'full',
  });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers['electric-handle'], handle);
});

scenario('8: table names are case-folded unless quoted', async () => {
  const r = await shapeGet(E, { table: 'Items', offset: '-1' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers['electric-handle'], handle, 'Items is public.items');
  assert400(await shapeGet(E, { table: '"Items"', offset: '-1' }), 'table',
    ['Table "public"."Items" does not exist. If the table name contains capitals or ' +
     'special characters you must quote it.']);
});

scenario('12-13: catch-up at the end, then 304', async () => {
  const r = await shapeGet(E, { table: 'items', offset: '0_0', handle });
  assert.equal(r.status, 200, r.text);
  assertUpToDateOnly(r);
  assert.equal(r.headers['electric-up-to-date'], '');
  assert.equal(r.headers['electric-offset'], '0_0');
  assert.equal(r.headers['electric-handle'], handle);
  assert.equal(r.headers['cache-control'], CACHE_CATCHUP);
  assert.ok(r.headers['electric-schema'], 'schema on non-live responses');
  assert.equal(r.headers['electric-has-data'], 'true');
  assert.equal(r.headers['access-control-expose-headers'], EXPOSE);
  etag12 = r.headers.etag;
  assert.ok(etag12, 'etag');

  const n = await shapeGet(E, { table: 'items', offset: '0_0', handle },
    { headers: { 'if-none-match': etag12 } });
  assert.equal(n.status, 304);
  assert.equal(n.text, '');
  assert.equal(n.headers.etag, etag12);
  assert.equal(n.headers['electric-handle'], handle);
  assert.equal(n.headers['electric-offset'], '0_0');
  assert.equal(n.headers['electric-schema'], undefined);

  // Leading zeros are accepted: 0_00 is 0_0.
  const z = await shapeGet(E, { table: 'items', offset: '0_00', handle });
  assert.equal(z.status, 200, z.text);
  assert.equal(z.headers['electric-offset'], '0_0');
  // 0_02 parses too (a 0_* offset of an existing shape is never a 400).
  const z2 = await shapeGet(E, { table: 'items', offset: '0_02', handle });
  assert.equal(z2.status, 200, z2.text);
});

scenario('14: live request with no writes times out after the long-poll timeout', async () => {
  const s = Math.floor((Date.now() - Date.UTC(2024, 9, 9)) / 1000);
  const r = await shapeGet(E, { table: 'items', offset, handle, live: 'true', cursor: '' });
  assert.equal(r.status, 200, r.text);
  assert.ok(r.ms >= LONG_POLL_MS - 200 && r.ms < LONG_POLL_MS + 2000, `held ${r.ms} ms`);
  assertUpToDateOnly(r);
  assert.equal(r.headers['electric-offset'], offset);
  assert.equal(r.headers['electric-has-data'], 'false');
  assert.equal(r.headers['electric-up-to-date'], '');
  assert.equal(r.headers['cache-control'], CACHE_LIVE);
  assert.equal(r.headers['electric-schema'], undefined);
  const cursor = Number(r.headers['electric-cursor']);
  assert.ok(Number.isInteger(cursor) && cursor % (LONG_POLL_MS / 1000) === 0,
    `cursor ${r.headers['electric-cursor']} is a multiple of ${LONG_POLL_MS / 1000}`);
  assert.ok(cursor >= s - 2 && cursor <= s + 10, `cursor ${cursor} ≈ ${s} s since 2024-10-09`);
  const etag = r.headers.etag ?? '';
  assert.equal(etag.replace(/^"|"$/g, '').split(':').length, 4, `unique etag: ${etag}`);
});

scenario('15: live request wakes up on an INSERT', async () => {
  const r = await liveWhile(() => db.sql("INSERT INTO items VALUES (3, 'third', false)"));
  assert.ok(r.sinceWrite < 1500, `answered ${r.sinceWrite} ms after the insert`);
  const [m, ...more] = assertLiveBatch(r);
  assert.equal(more.length, 0, r.text);
  assert.equal(m.key, KEY(3));
  assertReplicated(m, 'insert');
  assert.equal(m.value.id, '3');
  assert.equal(m.value.title, 'third');
  assert.ok(BOOL_TEXT.false.includes(m.value.done), m.value.done);
});

scenario('16: two inserts in one transaction come in one response', async () => {
  const r = await liveWhile(() => db.sql(
    "BEGIN; INSERT INTO items VALUES (4, 'four', null); INSERT INTO items VALUES (5, 'five', true); COMMIT"));
  const changes = assertLiveBatch(r);
  assert.deepEqual(changes.map((m) => m.key), [KEY(4), KEY(5)], r.text);
  const [h4, h5] = changes.map((m) => assertReplicated(m, 'insert'));
  assert.equal(h4.lsn, h5.lsn);
  assert.ok(h5.op_position > h4.op_position);
  assert.equal(h4.last, undefined, 'only the last change has last');
  assert.equal(h5.last, true);
  assert.equal(changes[0].value.done, null);
});

scenario('17: UPDATE sends the primary key and the changed columns', async () => {
  const r = await liveWhile(() => db.sql("UPDATE items SET title = 'x' WHERE id = 1"));
  const [m, ...more] = assertLiveBatch(r);
  assert.equal(more.length, 0, r.text);
  assert.equal(m.key, KEY(1));
  assertReplicated(m, 'update');
  assert.deepEqual(m.value, { id: '1', title: 'x' });
  assert.equal(m.old_value, undefined);
});

scenario('18: UPDATE of the primary key is a delete then an insert', async () => {
  const r = await liveWhile(() => db.sql('UPDATE items SET id = 10 WHERE id = 1'));
  const changes = assertLiveBatch(r);
  assert.equal(changes.length, 2, r.text);
  const [d, i] = changes;
  assert.equal(d.key, KEY(1));
  const hd = assertReplicated(d, 'delete');
  assert.deepEqual(d.value, { id: '1' });
  assert.equal(hd.key_change_to, KEY(10));
  assert.equal(i.key, KEY(10));
  assert.equal(i.headers.operation, 'insert');
  assert.equal(i.headers.key_change_from, KEY(1));
  assert.equal(i.headers.lsn, hd.lsn);
  assert.equal(i.headers.op_position, hd.op_position + 1, 'consecutive op positions');
  assert.equal(i.headers.last, true);
  assert.equal(i.value.id, '10');
  assert.equal(i.value.title, 'x');
  assert.ok('done' in i.value, 'full row on the insert half');
});

scenario('19: DELETE sends the primary key only', async () => {
  const r = await liveWhile(() => db.sql('DELETE FROM items WHERE id = 2'));
  const [m, ...more] = assertLiveBatch(r);
  assert.equal(more.length, 0, r.text);
  assert.equal(m.key, KEY(2));
  assertReplicated(m, 'delete');
  assert.deepEqual(m.value, { id: '2' });
});

scenario('27: offset=now answers up-to-date at the current offset', async () => {
  const r = await shapeGet(E, { table: 'items', offset: 'now' });
  assert.equal(r.status, 200, r.text);
  assertUpToDateOnly(r);
  assert.equal(r.headers['electric-handle'], handle);
  assert.equal(r.headers['electric-offset'], offset, 'the offset the live client holds');
  assert.equal(r.headers['electric-has-data'], 'false');
  assert.equal(r.headers['electric-up-to-date'], '');
  assert.ok(r.headers['electric-schema'], 'schema');
  assert.equal(r.headers['cache-control'], CACHE_CATCHUP);
});

scenario('catch-up from 0_0 returns every change in order', async () => {
  let off = '0_0';
  const changes = [];
  for (let i = 0; i < 20; i++) {
    const r = await shapeGet(E, { table: 'items', offset: off, handle });
    assert.equal(r.status, 200, r.text);
    changes.push(...r.body.filter(isChange));
    off = r.headers['electric-offset'];
    if (r.headers['electric-up-to-date'] !== undefined) break;
  }
  assert.equal(off, offset);
  assert.deepEqual(changes.map((m) => `${m.headers.operation} ${m.key}`), [
    `insert ${KEY(3)}`, `insert ${KEY(4)}`, `insert ${KEY(5)}`, `update ${KEY(1)}`,
    `delete ${KEY(1)}`, `insert ${KEY(10)}`, `delete ${KEY(2)}`,
  ]);
});

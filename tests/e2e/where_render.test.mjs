// where_render: the adversarial rows of the WHERE differential test
// (tests/where/schema.sql: NULLs, extremes, NaN, infinities, BC dates,
// 24:00:00, odd intervals, quoting in arrays, unicode) render
// byte-identically from the snapshot and from replication, and exactly
// as Postgres' text output under the PROTOCOL.md §11.1 settings.  Then
// WHERE shapes on the same rows: the rows a WHERE shape holds after
// replication (our evaluator) are the rows of its snapshot (Postgres) and
// the rows Postgres returns for the WHERE.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before } from 'node:test';
import pg from 'pg';
import {
  ROOT, cleanup, createDatabase, dumpLogs, follow, readToEnd, scenario,
  sleep, startElectricd,
} from './lib.mjs';

const SCHEMA = fs.readFileSync(path.join(ROOT, 'tests/where/schema.sql'), 'utf8');
const SETTINGS = "SET bytea_output = 'hex'; SET DateStyle = 'ISO, DMY'; " +
  "SET TimeZone = 'UTC'; SET extra_float_digits = 1; SET IntervalStyle = 'iso_8601'";

let db;
let E;
let nrows;

/* Postgres' own text output of query, as { id: { col: text|null } }. */
async function pgText(query, params = []) {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    await c.query(SETTINGS);
    const r = await c.query({ text: query, values: params, types: { getTypeParser: () => (v) => v } });
    return Object.fromEntries(r.rows.map((row) => [row.id, row]));
  } finally {
    await c.end();
  }
}

/* The rows of a shape message list, as { id: value }. */
function byId(messages) {
  const out = {};
  for (const m of messages) {
    if (!m.key) continue;
    assert.equal(m.headers.operation, 'insert', `operation of ${m.key}`);
    out[m.value.id] = m.value;
  }
  return out;
}

/* Follows a shape (params) from (handle, offset) until it holds n
 * inserts (or 20 s pass), then 500 ms more for rows that should not come;
 * returns the inserts by id. */
async function replicated(params, handle, offset, n, what) {
  const f = follow(E, { table: params.table, handle, offset, extra: params });
  const t0 = Date.now();
  while (f.errors.length === 0 && f.changes.length < n && Date.now() - t0 < 20_000) await sleep(100);
  await sleep(500);
  await f.stop();
  assert.deepEqual(f.errors, [], `${what}: errors`);
  return byId(f.changes);
}

before(async () => {
  db = await createDatabase('where_render');
  await db.sql(SCHEMA);
  await db.sql('CREATE TABLE wt_b (LIKE wt INCLUDING ALL)');
  nrows = Number((await db.sql('SELECT count(*) AS n FROM wt'))[0].n);
  E = await startElectricd({ databaseUrl: db.url })
    .catch((err) => { dumpLogs('start-up failed'); throw err; });
});
after(cleanup);

scenario('adversarial values: snapshot = replication = Postgres text output, byte for byte', async () => {
  const snap = await readToEnd(E, { table: 'wt' });
  const a = byId(snap.messages);
  assert.equal(Object.keys(a).length, nrows, 'snapshot rows');

  const b0 = await readToEnd(E, { table: 'wt_b' });
  await db.sql('INSERT INTO wt_b SELECT * FROM wt');
  const b = await replicated({ table: 'wt_b' }, b0.handle, b0.offset, nrows, 'wt_b');
  assert.equal(Object.keys(b).length, nrows, 'replicated rows');

  const want = await pgText('SELECT * FROM wt');
  const bad = [];
  for (const [id, row] of Object.entries(want)) {
    for (const [col, v] of Object.entries(row)) {
      if (a[id]?.[col] !== v) bad.push(`snapshot id ${id} ${col}: ${JSON.stringify(a[id]?.[col])} != ${JSON.stringify(v)}`);
      if (b[id]?.[col] !== v) bad.push(`replication id ${id} ${col}: ${JSON.stringify(b[id]?.[col])} != ${JSON.stringify(v)}`);
    }
  }
  assert.deepEqual(bad.slice(0, 40), [], `${bad.length} values differ`);
});

// Each WHERE shape is created on wt (snapshot: Postgres evaluates it) and
// on an empty copy before the rows arrive (replication: our evaluator).
const WHERES = [
  { where: "c_i4 > 0 AND c_text LIKE 'a%'" },
  { where: 'c_f8 = $1 OR c_num = $2 OR c_f4 IS NULL', params: ['NaN', '1.5'] },
  { where: "c_ia @> '{1}' OR 42 = ANY(c_ia) OR c_ta && '{\"a b\"}'" },
  { where: "c_ts < '2000-01-01' OR c_date = 'infinity' OR c_iv = '30 days'" },
  { where: "c_ch = 'a' OR c_mood::text IN ('ok', 'é') OR c_uuid = $1", params: ['A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'] },
  { where: "c_i2 + 1 > 100 OR c_i8 > 4294967296 OR c_tstz2 IS NULL" },
  { where: "c_text LIKE '%\\%%' OR c_text ILIKE 'a_b' OR c_vc NOT LIKE '%a%'" },
  { where: 'c_num2 BETWEEN SYMMETRIC 100 AND -1 AND c_i8 IS DISTINCT FROM c_i8b' },
  { where: '(c_i4 NOT IN (1, 2, NULL)) IS NULL OR c_bool IS UNKNOWN' },
  { where: "c_ia2[1][1] = 1 OR array_ndims(c_ia) IS NULL OR c_ta[1] = ''" },
  { where: "lower(c_text) = 'abc' OR c_ch = 'abc' OR c_mood::text = 'a''b \"c\"'" },
  { where: 'c_f8 = 0.30000000000000004 OR c_f4 = 0.1 OR c_f8 IS NOT DISTINCT FROM c_f8b' },
  { where: 'c_date = $1 OR c_ts < $2 OR c_tstz > c_tstz2', params: ['2024-02-29', '0001-01-01 BC'] },
];

function whereParams(w) {
  const p = { where: w.where };
  (w.params || []).forEach((v, i) => { p[`params[${i + 1}]`] = v; });
  return p;
}

scenario('WHERE shapes: replication (our evaluator) holds what the snapshot (Postgres) holds', async () => {
  const copies = [];
  for (const [i, w] of WHERES.entries()) {
    const t = `wt_w${i}`;
    await db.sql(`CREATE TABLE ${t} (LIKE wt INCLUDING ALL)`);
    const s = await readToEnd(E, { table: t, ...whereParams(w) });
    copies.push({ t, w, handle: s.handle, offset: s.offset });
  }
  for (const c of copies) await db.sql(`INSERT INTO ${c.t} SELECT * FROM wt ORDER BY id`);
  for (const c of copies) {
    const params = { table: 'wt', ...whereParams(c.w) };
    const snap = byId((await readToEnd(E, params)).messages);
    const ids = Object.keys(snap).sort((x, y) => x - y);
    const got = await replicated({ ...params, table: c.t }, c.handle, c.offset, ids.length, c.w.where);
    assert.deepEqual(Object.keys(got).sort((x, y) => x - y), ids, `rows of ${c.w.where}`);
    assert.ok(ids.length > 0, `${c.w.where} selects rows`);
  }
});

// Updates move rows into and out of a WHERE shape (our evaluator on the
// old and new rows); applying the log must give Postgres' rows at the end.
scenario('WHERE shape under updates and deletes: the log materialises to what Postgres selects', async () => {
  const where = "c_i4 > 0 AND c_text <> '' AND c_ia2 IS NOT NULL";
  await db.sql('CREATE TABLE wt_u (LIKE wt INCLUDING ALL)');
  await db.sql('INSERT INTO wt_u SELECT * FROM wt');
  const s = await readToEnd(E, { table: 'wt_u', where });
  const rows = new Map();
  for (const m of s.messages) if (m.key) rows.set(m.key, { ...m.value });
  const f = follow(E, { table: 'wt_u', handle: s.handle, offset: s.offset, extra: { where } });
  await db.sql('UPDATE wt_u SET c_i4 = c_i4b WHERE id % 3 = 0');
  await db.sql('UPDATE wt_u SET c_text = c_text2 WHERE id % 5 = 0');
  await db.sql('UPDATE wt_u SET c_ia2 = NULL WHERE id % 11 = 0');
  await db.sql('UPDATE wt_u SET c_f8 = 1 WHERE id % 2 = 0');	// no move
  await db.sql('DELETE FROM wt_u WHERE id % 7 = 0');
  await db.sql("INSERT INTO wt_u (id, c_i4, c_text, c_ia2) VALUES (100000, 1, 'end', '{}')");
  const key = '"public"."wt_u"/"100000"';
  const t0 = Date.now();
  while (f.errors.length === 0 && !f.changes.some((m) => m.key === key) && Date.now() - t0 < 30_000) await sleep(100);
  await f.stop();
  assert.deepEqual(f.errors, [], 'follower errors');
  const ops = f.changes.map((m) => m.headers.operation);
  for (const op of ['insert', 'update', 'delete']) assert.ok(ops.includes(op), `some ${op} in ${ops}`);
  for (const m of f.changes) {
    const op = m.headers.operation;
    if (op === 'insert') rows.set(m.key, { ...m.value });
    else if (op === 'update') {
      assert.ok(rows.has(m.key), `update of a row not in the shape: ${m.key}`);
      Object.assign(rows.get(m.key), m.value);
    } else if (op === 'delete') {
      assert.ok(rows.has(m.key), `delete of a row not in the shape: ${m.key}`);
      rows.delete(m.key);
    }
  }
  const want = await pgText(`SELECT * FROM wt_u WHERE ${where}`);
  const got = Object.fromEntries([...rows.values()].map((v) => [v.id, v]));
  assert.deepEqual(Object.keys(got).sort((x, y) => x - y), Object.keys(want).sort((x, y) => x - y), 'ids');
  for (const [id, row] of Object.entries(want)) {
    for (const [col, v] of Object.entries(row)) assert.equal(got[id][col], v, `id ${id} ${col}`);
  }
});

// types: values of many Postgres types (PROTOCOL.md §11.3, §17 item 31)
// come back as Postgres renders them, byte-identical from the snapshot and
// from replication, and the real client parses them into what a user
// expects (int8 -> BigInt, float8 specials, jsonb objects, nested arrays).

import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import {
  cleanup, createDatabase, dumpLogs, readToEnd, scenario, shapeGet, sleep,
  startElectricd,
  importClient,
} from './lib.mjs';

// The client, with its long-lived timers unref'd (see lib.mjs).
const { Shape, ShapeStream } = await importClient();

let db;
let E;

const ROW = `(1, 9223372036854775807, 'Infinity', 'NaN', -1.5e100, 1.50, true,
  '\\x0001fffe', '{"foo": "bar", "n": [1, 2]}', '{"a":1}', '{{1,2},{3,4}}',
  '{sad,ok}', ARRAY[ROW(1.1, 2.2)::pt, ROW(3, 4)::pt], 'x/y"z''q\\',
  'abc', '2024-01-31', '12:34:56.123', '2024-01-31 12:34:56.123',
  '2024-01-31 12:34:56.123+00', 'P1Y2M3DT4H5M6S', 'ok',
  '0f8fad5b-d9cb-469f-a165-70867728950e', '{"a b",NULL}', NULL,
  E'a\\tb\\nc\\rd\\\\e\\bf\\fg\\013h\\001\\\\N')`;

// Exactly what Postgres's text output gives under the §11.1 settings.
const EXPECTED = {
  id: '1', i8: '9223372036854775807', finf: 'Infinity', fnan: 'NaN',
  fbig: '-1.5e+100', num: '1.50', b: 't', by: '\\x0001fffe',
  jb: '{"n": [1, 2], "foo": "bar"}', js: '{"a":1}', arr2: '{{1,2},{3,4}}',
  moods: '{sad,ok}', pts: '{"(1.1,2.2)","(3,4)"}', txt: 'x/y"z\'q\\',
  ch: 'abc  ', d: '2024-01-31', t: '12:34:56.123', ts: '2024-01-31 12:34:56.123',
  tstz: '2024-01-31 12:34:56.123+00', iv: 'P1Y2M3DT4H5M6S', m: 'ok',
  u: '0f8fad5b-d9cb-469f-a165-70867728950e', tarr: '{"a b",NULL}', nul: null,
  esc: 'a\tb\nc\rd\\e\bf\fg\vh\x01\\N',	// COPY's escapes, undone
};

before(async () => {
  db = await createDatabase('types');
  await db.sql("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')");
  await db.sql('CREATE TYPE pt AS (x float8, y float8)');
  await db.sql(`CREATE TABLE ty (id int PRIMARY KEY, i8 int8, finf float8,
    fnan float8, fbig float8, num numeric(5,2), b bool, by bytea, jb jsonb,
    js json, arr2 int8[][], moods mood[], pts pt[], txt text, ch char(5),
    d date, t time, ts timestamp, tstz timestamptz, iv interval, m mood,
    u uuid, tarr text[], nul text, esc text)`);
  await db.sql(`INSERT INTO ty VALUES ${ROW}`);
  E = await startElectricd({ databaseUrl: db.url })
    .catch((err) => { dumpLogs('start-up failed'); throw err; });
});
after(cleanup);

scenario('31: snapshot and replication render every value identically, as Postgres does', async () => {
  const s = await readToEnd(E, { table: 'ty' });
  const snap = s.messages.find((m) => m.key);
  assert.deepEqual(snap.value, EXPECTED, 'snapshot values');
  assert.equal(snap.key, '"public"."ty"/"1"');
  const schema = JSON.parse(s.responses[0].r.headers['electric-schema']);
  assert.deepEqual(schema.arr2, { type: 'int8', dims: 2 });
  assert.deepEqual(schema.moods, { type: 'mood', dims: 1 });
  assert.deepEqual(schema.num, { type: 'numeric', precision: 5, scale: 2 });
  assert.deepEqual(schema.ch, { type: 'bpchar', length: 5 });
  assert.deepEqual(schema.id, { type: 'int4', pk_index: 0, not_null: true });

  // The same row through replication: insert a copy with id 2.
  const live = shapeGet(E, { table: 'ty', handle: s.handle, offset: s.offset, live: 'true', cursor: '' });
  await sleep(200);
  await db.sql(`INSERT INTO ty SELECT 2, i8, finf, fnan, fbig, num, b, by, jb, js, arr2,
    moods, pts, txt, ch, d, t, ts, tstz, iv, m, u, tarr, nul, esc FROM ty WHERE id = 1`);
  const r = await live;
  assert.equal(r.status, 200, r.text);
  const ins = r.body.find((m) => m.key);
  assert.deepEqual(ins.value, { ...EXPECTED, id: '2' }, 'replication values');
  assert.equal(ins.key, '"public"."ty"/"2"');
});

scenario('31: the real client parses the values', async () => {
  const ctrl = new AbortController();
  const stream = new ShapeStream({ url: `${E.url}/v1/shape`, params: { table: 'ty' },
    signal: ctrl.signal });
  const shape = new Shape(stream);
  let rows;
  try {
    rows = await shape.rows;
  } finally {
    shape.unsubscribeAll();
    stream.unsubscribeAll();
    ctrl.abort();		/* ends the stream's live long-poll */
  }
  const row = rows.find((x) => x.id === 1);
  assert.ok(row, `row 1 among ${JSON.stringify(rows, (k, v) => typeof v === 'bigint' ? `${v}n` : v)}`);
  assert.equal(row.i8, 9223372036854775807n);
  assert.equal(row.finf, Infinity);
  assert.ok(Number.isNaN(row.fnan));
  assert.equal(row.fbig, -1.5e100);
  assert.equal(row.num, '1.50');
  assert.equal(row.b, true);
  assert.deepEqual(row.jb, { foo: 'bar', n: [1, 2] });
  assert.deepEqual(row.js, { a: 1 });
  assert.deepEqual(row.arr2, [[1n, 2n], [3n, 4n]]);
  assert.deepEqual(row.moods, ['sad', 'ok']);
  assert.deepEqual(row.pts, ['(1.1,2.2)', '(3,4)']);
  assert.deepEqual(row.tarr, ['a b', null]);
  assert.equal(row.txt, 'x/y"z\'q\\');
  assert.equal(row.ch, 'abc  ');
  assert.equal(row.nul, null);
});

// types_all: every common Postgres type (PROTOCOL.md §11, §17 item 31).
// The same literal rows are inserted before the shape exists (snapshot
// path) and after (replication path): every value must be byte-identical
// between the two and equal to Postgres's text output under the §11.1
// settings; keys must be identical (boolean primary key, a many-typed
// composite key, a PK-less table with NULLs and '/'); electric-schema must
// be exact for every column (§11.2: type, dims, pk_index, not_null,
// modifiers); and the real client must parse each value into what a user
// expects (§11.4), from both paths.

import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import {
  cleanup, createDatabase, follow, importClient, readToEnd, scenario,
  startElectricd, waitFor,
} from './lib.mjs';
import {
  COLUMNS, EXPECTED, SCHEMA, TYPES_DDL, VALUES, nullRow, parsedRow, t,
} from './types_data.mjs';

const { Shape, ShapeStream } = await importClient();

let db;
let E;

const insertEvery = (id) => db.sql(`INSERT INTO every VALUES (${id}, ${VALUES})`);

// A composite key of many types, key order unlike column order.
const MULTI = String.raw`('a/b "c"', '2024-01-31 12:34:56.5+02', 1.50,
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', true, 1)`;
const MULTI_KEY = '"public"."multi"/"2024-01-31 10:34:56.5+00"/"a//b "c""/"t"/"1.50"' +
  '/"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"';

before(async () => {
  db = await createDatabase('typesall');
  for (const q of TYPES_DDL) await db.sql(q);
  await db.sql(`CREATE TABLE every (${COLUMNS})`);
  await insertEvery(1);
  await db.sql('INSERT INTO every (id) VALUES (2)');
  await db.sql('CREATE TABLE bpk (flag bool PRIMARY KEY, v text)');
  await db.sql("INSERT INTO bpk VALUES (true, 'yes'), (false, 'no')");
  await db.sql(`CREATE TABLE multi (k1 text, k2 timestamptz, k3 numeric,
    k4 uuid, k5 bool, v int, PRIMARY KEY (k2, k1, k5, k3, k4))`);
  await db.sql(`INSERT INTO multi VALUES ${MULTI}`);
  await db.sql('CREATE TABLE nokey (a int, b text, c text)');
  await db.sql(String.raw`INSERT INTO nokey VALUES (1, 'a/b', NULL), (NULL, '//', '')`);
  E = await startElectricd({ databaseUrl: db.url });
});
after(cleanup);

const byKey = (msgs) => new Map(msgs.filter((m) => m.key).map((m) => [m.key, m]));
const everyKey = (id) => `"public"."every"/"${id}"`;

scenario('31: every type: snapshot and replication values identical, exact schema', async () => {
  const s = await readToEnd(E, { table: 'every' });
  const schema = JSON.parse(s.responses[0].r.headers['electric-schema']);
  assert.deepEqual(schema, SCHEMA);
  const snap = byKey(s.messages);
  assert.deepEqual(snap.get(everyKey(1)).value, { id: '1', ...EXPECTED }, 'snapshot values');
  assert.deepEqual(snap.get(everyKey(2)).value, { ...nullRow('2') }, 'snapshot NULLs');

  const f = follow(E, { table: 'every', handle: s.handle, offset: s.offset });
  await waitFor('the follower to be live', () => f.upToDate);
  await insertEvery(101);
  await db.sql('INSERT INTO every (id) VALUES (102)');
  await waitFor('both inserts', () => f.changes.length >= 2);
  await f.stop();
  const repl = byKey(f.changes);
  assert.deepEqual(repl.get(everyKey(101)).value, { id: '101', ...EXPECTED }, 'replication values');
  assert.deepEqual(repl.get(everyKey(102)).value, nullRow('102'), 'replication NULLs');
  // Byte-identical JSON text per value, not only equal after parsing.
  for (const k of Object.keys(EXPECTED)) {
    assert.equal(JSON.stringify(repl.get(everyKey(101)).value[k]),
      JSON.stringify(snap.get(everyKey(1)).value[k]), k);
  }
});

scenario('31: keys are identical on both paths (bool, many-typed and PK-less keys)', async () => {
  // Boolean primary key.
  const b = await readToEnd(E, { table: 'bpk' });
  const bsnap = byKey(b.messages);
  assert.deepEqual([...bsnap.keys()].sort(), ['"public"."bpk"/"f"', '"public"."bpk"/"t"']);
  assert.deepEqual(bsnap.get('"public"."bpk"/"t"').value, { flag: 't', v: 'yes' });
  assert.deepEqual(JSON.parse(b.responses[0].r.headers['electric-schema']),
    { flag: t('bool', { pk_index: 0, not_null: true }), v: t('text') });
  const bf = follow(E, { table: 'bpk', handle: b.handle, offset: b.offset });
  await waitFor('bpk follower live', () => bf.upToDate);
  await db.sql("UPDATE bpk SET v = 'yes!' WHERE flag");
  await db.sql('DELETE FROM bpk WHERE NOT flag');
  await db.sql("INSERT INTO bpk VALUES (false, 'again')");
  await waitFor('bpk changes', () => bf.changes.length >= 3);
  await bf.stop();
  assert.deepEqual(bf.changes.map((m) => [m.headers.operation, m.key, m.value]), [
    ['update', '"public"."bpk"/"t"', { flag: 't', v: 'yes!' }],
    ['delete', '"public"."bpk"/"f"', { flag: 'f' }],
    ['insert', '"public"."bpk"/"f"', { flag: 'f', v: 'again' }],
  ]);

  // Composite key of text (with '/' and '"'), timestamptz, bool, numeric
  // and uuid, in PK order, not column order.
  const m = await readToEnd(E, { table: 'multi' });
  const msnap = m.messages.filter((x) => x.key);
  assert.deepEqual(msnap.map((x) => x.key), [MULTI_KEY]);
  assert.deepEqual(JSON.parse(m.responses[0].r.headers['electric-schema']), {
    k1: t('text', { pk_index: 1, not_null: true }),
    k2: t('timestamptz', { pk_index: 0, not_null: true }),
    k3: t('numeric', { pk_index: 3, not_null: true }),
    k4: t('uuid', { pk_index: 4, not_null: true }),
    k5: t('bool', { pk_index: 2, not_null: true }),
    v: t('int4'),
  });
  const mf = follow(E, { table: 'multi', handle: m.handle, offset: m.offset });
  await waitFor('multi follower live', () => mf.upToDate);
  await db.sql('UPDATE multi SET v = 2');
  await db.sql('DELETE FROM multi');
  await db.sql(`INSERT INTO multi VALUES ${MULTI}`);
  await waitFor('multi changes', () => mf.changes.length >= 3);
  await mf.stop();
  assert.deepEqual(mf.changes.map((x) => [x.headers.operation, x.key]),
    [['update', MULTI_KEY], ['delete', MULTI_KEY], ['insert', MULTI_KEY]]);
  assert.deepEqual(mf.changes[2].value, msnap[0].value);

  // No primary key: every column in attnum order, NULL = _, '/' doubled.
  const K1 = '"public"."nokey"/"1"/"a//b"/_';
  const K2 = '"public"."nokey"/_/"////"/""';
  const n = await readToEnd(E, { table: 'nokey' });
  const nsnap = byKey(n.messages);
  assert.deepEqual([...nsnap.keys()].sort(), [K1, K2].sort());
  assert.deepEqual(JSON.parse(n.responses[0].r.headers['electric-schema']),
    { a: t('int4'), b: t('text'), c: t('text') });
  const nf = follow(E, { table: 'nokey', handle: n.handle, offset: n.offset });
  await waitFor('nokey follower live', () => nf.upToDate);
  await db.sql(String.raw`INSERT INTO nokey VALUES (1, 'a/b', NULL), (NULL, '//', '')`);
  await db.sql('DELETE FROM nokey WHERE a IS NULL');
  await waitFor('nokey changes', () => nf.changes.length >= 4);
  await nf.stop();
  assert.deepEqual(nf.changes.map((x) => [x.headers.operation, x.key]),
    [['insert', K1], ['insert', K2], ['delete', K2], ['delete', K2]]);
  assert.deepEqual(nf.changes[0].value, nsnap.get(K1).value);
  assert.deepEqual(nf.changes[1].value, nsnap.get(K2).value);
  assert.deepEqual(nf.changes[2].value, { a: null, b: '//', c: '' }, 'PK-less delete: all columns');
});

scenario('31: the real client parses every type from both paths', async () => {
  const ctrl = new AbortController();
  const stream = new ShapeStream({ url: `${E.url}/v1/shape`, params: { table: 'every' },
    signal: ctrl.signal });
  const shape = new Shape(stream);
  try {
    await shape.rows;
    await insertEvery(201);
    await db.sql('INSERT INTO every (id) VALUES (202)');
    await waitFor('the client to see rows 201 and 202', () =>
      shape.currentRows.some((r) => r.id === 201) && shape.currentRows.some((r) => r.id === 202));
    const rows = new Map(shape.currentRows.map((r) => [r.id, r]));
    // deepEqual uses Object.is: NaN equals NaN, -0 differs from 0.
    assert.deepEqual(rows.get(1), parsedRow(1), 'snapshot row');
    assert.deepEqual(rows.get(201), parsedRow(201), 'replicated row');
    assert.deepEqual(rows.get(2), nullRow(2), 'snapshot NULLs');
    assert.deepEqual(rows.get(202), nullRow(202), 'replicated NULLs');
  } finally {
    shape.unsubscribeAll();
    stream.unsubscribeAll();
    ctrl.abort();
  }
});

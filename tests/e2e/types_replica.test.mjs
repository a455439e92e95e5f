// types_replica: replica=full with every type, and TOASTed values in both
// replica modes (PROTOCOL.md §6.4, §11, §17 items 17-19).  replica=full:
// an update carries every column in value and the old values of the
// changed columns in old_value, rendered exactly like snapshot values and
// parsed by the real client like them; an update changing nothing is
// dropped; a delete carries the full old row.  TOAST: an unchanged
// out-of-line value is absent from a replica=default update, present
// (filled from the old row) in a replica=full update and in the insert half
// of a primary-key change in both modes.

import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import {
  cleanup, createDatabase, follow, importClient, readToEnd, scenario,
  startElectricd, waitFor,
} from './lib.mjs';
import {
  COLUMNS, EXPECTED, PARSED, TYPES_DDL, VALUES, nullRow, parsedRow,
} from './types_data.mjs';

const { ShapeStream } = await importClient();

let db;
let E;
let BIG;		// an incompressible 96 kB text, stored out of line

const COLS = Object.keys(EXPECTED).join(', ');
const NULLS = Object.keys(EXPECTED).map(() => 'NULL').join(', ');
const allNull = Object.fromEntries(Object.keys(EXPECTED).map((k) => [k, null]));
const key = (table, id) => `"public"."${table}"/"${id}"`;
const ops = (changes) => changes.map((m) => [m.headers.operation, m.key]);

before(async () => {
  db = await createDatabase('typesrepl');
  for (const q of TYPES_DDL) await db.sql(q);
  await db.sql(`CREATE TABLE every (${COLUMNS})`);
  await db.sql(`INSERT INTO every VALUES (1, ${VALUES})`);
  await db.sql('INSERT INTO every (id) VALUES (2)');
  await db.sql('CREATE TABLE big (id int PRIMARY KEY, big text, n int, small text)');
  await db.sql(`INSERT INTO big SELECT 1, string_agg(md5(i::text), ''), 1, 's'
    FROM generate_series(1, 3000) i`);
  BIG = (await db.sql('SELECT big FROM big'))[0].big;
  E = await startElectricd({ databaseUrl: db.url });
});
after(cleanup);

scenario('17: replica=full with every type: value, old_value and delete', async () => {
  const s = await readToEnd(E, { table: 'every', replica: 'full' });
  const f = follow(E, { table: 'every', handle: s.handle, offset: s.offset,
    extra: { replica: 'full' } });
  await waitFor('the follower to be live', () => f.upToDate);
  await db.sql(`UPDATE every SET (${COLS}) = ROW(${VALUES}) WHERE id = 2`);
  await db.sql(`UPDATE every SET (${COLS}) = ROW(${NULLS}) WHERE id = 1`);
  await db.sql('UPDATE every SET i2 = i2, txt = txt');	/* changes nothing */
  await db.sql('DELETE FROM every WHERE id = 2');
  await waitFor('three changes', () => f.changes.length >= 3);
  await f.stop();
  assert.deepEqual(ops(f.changes), [['update', key('every', 2)],
    ['update', key('every', 1)], ['delete', key('every', 2)]]);
  const [u2, u1, d2] = f.changes;
  assert.deepEqual(u2.value, { id: '2', ...EXPECTED });
  assert.deepEqual(u2.old_value, allNull);
  assert.deepEqual(u1.value, nullRow('1'));
  assert.deepEqual(u1.old_value, EXPECTED, 'old values render like snapshot values');
  assert.deepEqual(d2.value, { id: '2', ...EXPECTED }, 'a delete carries the full old row');
  assert.equal(d2.old_value, undefined);
});

scenario('17: the real client parses replica=full values and old values', async () => {
  const ctrl = new AbortController();
  const got = [];
  const stream = new ShapeStream({ url: `${E.url}/v1/shape`,
    params: { table: 'every', replica: 'full' }, signal: ctrl.signal });
  const unsub = stream.subscribe((msgs) => { for (const m of msgs) if (m.key) got.push(m); });
  try {
    await waitFor('the client to be up to date', () => stream.isUpToDate);
    got.length = 0;
    await db.sql(`UPDATE every SET (${COLS}) = ROW(${VALUES}) WHERE id = 1`);
    await waitFor('the update', () => got.length >= 1);
    const want = parsedRow(1);
    assert.deepEqual(got[0].value, want);
    delete want.id;
    assert.deepEqual(got[0].old_value, allNull);
    await db.sql(`UPDATE every SET (${COLS}) = ROW(${NULLS}) WHERE id = 1`);
    await waitFor('the second update', () => got.length >= 2);
    assert.deepEqual(got[1].value, nullRow(1));
    assert.deepEqual(got[1].old_value, want, 'old values parse like values');
    assert.ok(Object.keys(PARSED).every((k) => k in got[1].old_value));
  } finally {
    unsub();
    ctrl.abort();
  }
});

scenario('6.4: unchanged TOASTed values in both replica modes', async () => {
  const sd = await readToEnd(E, { table: 'big' });
  const sf = await readToEnd(E, { table: 'big', replica: 'full' });
  assert.notEqual(sd.handle, sf.handle, 'replica is part of the shape definition');
  assert.equal(sd.messages.find((m) => m.key).value.big, BIG);
  const fd = follow(E, { table: 'big', handle: sd.handle, offset: sd.offset });
  const ff = follow(E, { table: 'big', handle: sf.handle, offset: sf.offset,
    extra: { replica: 'full' } });
  await waitFor('both followers live', () => fd.upToDate && ff.upToDate);
  await db.sql('UPDATE big SET n = 2');
  await db.sql("UPDATE big SET big = big || 'x'");
  await db.sql('UPDATE big SET id = 5');
  await db.sql('DELETE FROM big');
  await waitFor('five changes each', () => fd.changes.length >= 5 && ff.changes.length >= 5);
  await fd.stop();
  await ff.stop();
  const k1 = key('big', 1);
  const k5 = key('big', 5);
  const order = [['update', k1], ['update', k1], ['delete', k1], ['insert', k5], ['delete', k5]];
  const row = (id, big, n) => ({ id, big, n, small: 's' });

  assert.deepEqual(ops(fd.changes), order);
  assert.deepEqual(fd.changes.map((m) => m.value), [
    { id: '1', n: '2' },
    { id: '1', big: `${BIG}x` },
    { id: '1' },
    row('5', `${BIG}x`, '2'),	/* the unchanged TOAST value filled in */
    { id: '5' },
  ]);
  assert.ok(fd.changes.every((m) => m.old_value === undefined));

  assert.deepEqual(ops(ff.changes), order);
  assert.deepEqual(ff.changes.map((m) => m.value), [
    row('1', BIG, '2'),
    row('1', `${BIG}x`, '2'),
    row('1', `${BIG}x`, '2'),
    row('5', `${BIG}x`, '2'),
    row('5', `${BIG}x`, '2'),
  ]);
  assert.deepEqual(ff.changes.map((m) => m.old_value),
    [{ n: '1' }, { big: BIG }, undefined, undefined, undefined]);
  assert.equal(ff.changes[2].headers.key_change_to, k5);
  assert.equal(ff.changes[3].headers.key_change_from, k1);
});

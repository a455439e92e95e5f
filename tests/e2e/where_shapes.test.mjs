// where_shapes: shapes with where, params, columns and replica=full
// (PROTOCOL.md §2.4, §2.5, §4.1, §6.4, §10; §17 items 17, 20, 21, 22, 24)
// over plain fetch and with the real client, against one electricd and
// table items(id int PK, title text, done bool, n int).

import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import {
  assert400, assert409, cleanup, createDatabase, dumpLogs, follow, isChange,
  onCleanup, readToEnd, scenario, shapeGet, sleep, startElectricd, waitFor, importClient,
} from './lib.mjs';

const { ShapeStream, Shape } = await importClient();

let db;
let E;

const rowsOf = (messages) => messages.filter(isChange);
const ids = (messages) => rowsOf(messages).map((m) => Number(m.value.id)).sort((a, b) => a - b);

before(async () => {
  db = await createDatabase('where');
  await db.sql(`CREATE TABLE items (id int PRIMARY KEY, title text, done bool, n int)`);
  await db.sql(`INSERT INTO items SELECT g, 'item ' || g, g % 2 = 0, g * 10
                FROM generate_series(1, 10) g`);
  E = await startElectricd({
    databaseUrl: db.url,
    env: { ELECTRIC_LONG_POLL_TIMEOUT: '3000' },
  }).catch((err) => { dumpLogs('start-up failed'); throw err; });
});
after(cleanup);

scenario('the snapshot holds exactly the rows the WHERE selects', async () => {
  const cases = [
    ['done = true', [2, 4, 6, 8, 10]],
    ['n > 50 AND NOT done', [7, 9]],
    ["title LIKE 'item 1%'", [1, 10]],
    ['id IN (1, 3, 99)', [1, 3]],
    ['n BETWEEN 20 AND 40 OR id = 9', [2, 3, 4, 9]],
    ['done IS NULL', []],
  ];
  for (const [where, want] of cases) {
    const s = await readToEnd(E, { table: 'items', where });
    assert.deepEqual(ids(s.messages), want, where);
  }
});

scenario('20: an update entering the WHERE is an insert, leaving it a delete', async () => {
  const s = await readToEnd(E, { table: 'items', where: 'done = true' });
  const f = follow(E, { handle: s.handle, offset: s.offset, extra: { where: 'done = true' } });
  await waitFor('live', () => f.upToDate);
  await db.sql('UPDATE items SET done = true WHERE id = 1');
  await waitFor('insert of 1', () => f.changes.length >= 1);
  let m = f.changes[0];
  assert.equal(m.headers.operation, 'insert', JSON.stringify(m));
  assert.deepEqual(m.value, { id: '1', title: 'item 1', done: 't', n: '10' }, 'the full new row');
  await db.sql('UPDATE items SET title = $1 WHERE id = 1', ['renamed']);
  await waitFor('update of 1', () => f.changes.length >= 2);
  m = f.changes[1];
  assert.equal(m.headers.operation, 'update');
  assert.deepEqual(m.value, { id: '1', title: 'renamed' });
  await db.sql('UPDATE items SET done = false WHERE id = 1');
  await waitFor('delete of 1', () => f.changes.length >= 3);
  m = f.changes[2];
  assert.equal(m.headers.operation, 'delete');
  assert.deepEqual(m.value, { id: '1' });
  // Changes to rows that stay outside never arrive.
  await db.sql('UPDATE items SET title = $1 WHERE id = 3', ['unseen']);
  await db.sql('INSERT INTO items VALUES (11, $1, false, 0)', ['outside']);
  await db.sql('INSERT INTO items VALUES (12, $1, true, 0)', ['inside']);
  await waitFor('insert of 12', () => f.changes.length >= 4);
  await sleep(300);
  assert.deepEqual(f.changes.slice(3).map((c) => [c.headers.operation, c.value.id]),
    [['insert', '12']]);
  await f.stop();
  assert.deepEqual(f.errors, []);
});

scenario('21: columns: only the selected columns, and updates of others are dropped', async () => {
  const params = { table: 'items', columns: '"id","title"' };
  const s = await readToEnd(E, params);
  const snap = rowsOf(s.messages);
  assert.ok(snap.length > 0);
  for (const m of snap) assert.deepEqual(Object.keys(m.value).sort(), ['id', 'title']);
  const schema = JSON.parse(s.responses[0].r.headers['electric-schema']);
  assert.deepEqual(Object.keys(schema).sort(), ['id', 'title']);
  const f = follow(E, { handle: s.handle, offset: s.offset, extra: { columns: '"id","title"' } });
  await waitFor('live', () => f.upToDate);
  const reqs = f.requests;
  await db.sql('UPDATE items SET done = NOT done WHERE id = 2');
  await sleep(800);
  assert.equal(f.changes.length, 0, 'an update of an unselected column is dropped');
  assert.equal(f.requests, reqs, 'and wakes no live request');
  await db.sql('UPDATE items SET title = $1, n = 0 WHERE id = 2', ['two']);
  await waitFor('update', () => f.changes.length >= 1);
  assert.deepEqual(f.changes[0].value, { id: '2', title: 'two' });
  await f.stop();

  let r = await shapeGet(E, { table: 'items', offset: '-1', columns: 'title' });
  assert400(r, 'columns', ['The list of columns must include all primary key columns, missing: id']);
  r = await shapeGet(E, { table: 'items', offset: '-1', columns: 'id,nope' });
  assert400(r, 'columns', ['The following columns are not found on the table: nope']);
  // Order and duplicates do not make another shape.
  r = await shapeGet(E, { table: 'items', offset: '-1', columns: 'title,id,"title"' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers['electric-handle'], s.handle);
});

scenario('17: replica=full sends the full row and the old values of changed columns', async () => {
  const params = { table: 'items', replica: 'full' };
  const s = await readToEnd(E, params);
  const f = follow(E, { handle: s.handle, offset: s.offset, extra: { replica: 'full' } });
  await waitFor('live', () => f.upToDate);
  const [before] = await db.sql('SELECT title FROM items WHERE id = 4');
  await db.sql('UPDATE items SET title = $1 WHERE id = 4', ['x']);
  await waitFor('update', () => f.changes.length >= 1);
  const m = f.changes[0];
  assert.equal(m.headers.operation, 'update');
  assert.deepEqual(Object.keys(m.value).sort(), ['done', 'id', 'n', 'title']);
  assert.equal(m.value.title, 'x');
  assert.deepEqual(m.old_value, { title: before.title });
  await db.sql('DELETE FROM items WHERE id = 4');
  await waitFor('delete', () => f.changes.length >= 2);
  assert.equal(f.changes[1].headers.operation, 'delete');
  assert.deepEqual(Object.keys(f.changes[1].value).sort(), ['done', 'id', 'n', 'title'],
    'a replica=full delete carries the full old row');
  await f.stop();
  // replica is part of the identity
  const d = await shapeGet(E, { table: 'items', offset: '-1' });
  assert.notEqual(d.headers['electric-handle'], s.handle);
});

scenario('22: params are values, never SQL; errors name the parameter', async () => {
  await db.sql("INSERT INTO items VALUES (100, $1, false, 1)", ["' OR TRUE"]);
  let s = await readToEnd(E, { table: 'items', where: 'title = $1', 'params[1]': "' OR TRUE" });
  assert.deepEqual(ids(s.messages), [100], 'only the row whose title is the literal text');
  s = await readToEnd(E, { table: 'items', where: 'title = $1', 'params[1]': "nothing' OR '1'='1" });
  assert.deepEqual(ids(s.messages), []);
  s = await readToEnd(E, { table: 'items', where: 'id = $1 OR n = $2', 'params[1]': '3', 'params[2]': '50' });
  assert.deepEqual(ids(s.messages), [3, 5]);

  let r = await shapeGet(E, { table: 'items', offset: '-1', where: 'nope = 1' });
  assert400(r, 'where', ['At location 0: unknown reference nope']);
  r = await shapeGet(E, { table: 'items', offset: '-1', where: 'id = $2', 'params[2]': 'x' });
  assert400(r, 'params', ['Parameters must be numbered sequentially, starting from 1']);
  r = await shapeGet(E, { table: 'items', offset: '-1', where: 'id = $1' });
  assert.equal(r.status, 400, r.text);
  assert.match(JSON.stringify(r.body.errors), /parameter \$1 was not provided/);
  r = await shapeGet(E, { table: 'items', offset: '-1', where: 'id = $1', 'params[1]': 'abc' });
  assert.equal(r.status, 400, r.text);
  assert.match(r.text, /invalid input syntax for type integer/);
  r = await shapeGet(E, { table: 'items', offset: '-1', where: 'id = 1; DROP TABLE items' });
  assert.equal(r.status, 400, r.text);
  r = await shapeGet(E, { table: 'items', offset: '-1', where: 'n + 1' });
  assert.equal(r.status, 400, r.text);
  // Different param values are different shapes; equal ones the same.
  const a = await shapeGet(E, { table: 'items', offset: '-1', where: 'id = $1', 'params[1]': '1' });
  const b = await shapeGet(E, { table: 'items', offset: '-1', where: 'id = $1', 'params[1]': '2' });
  const c = await shapeGet(E, { table: 'items', offset: '-1', where: 'id = $1', 'params[1]': '1' });
  assert.notEqual(a.headers['electric-handle'], b.headers['electric-handle']);
  assert.equal(a.headers['electric-handle'], c.headers['electric-handle']);
  const [exists] = await db.sql("SELECT to_regclass('items') IS NOT NULL AS ok");
  assert.equal(exists.ok, true);
});

scenario('24: a handle with a different where gets a 409 naming the matching shape', async () => {
  const a = await readToEnd(E, { table: 'items', where: 'n > 0' });
  const b = await readToEnd(E, { table: 'items', where: 'n > 10' });
  const r = await shapeGet(E, { table: 'items', where: 'n > 10', handle: a.handle, offset: a.offset });
  assert409(r, b.handle);
});

scenario('the real client syncs a WHERE shape with params and columns', async () => {
  const ctrl = new AbortController();
  const errors = [];
  const stream = new ShapeStream({
    url: `${E.url}/v1/shape`,
    params: { table: 'items', where: 'n >= $1', params: ['60'], columns: ['id', 'n'] },
    signal: ctrl.signal,
    onError: (err) => { errors.push(String(err?.stack || err)); },
  });
  const shape = new Shape(stream);
  onCleanup(() => { shape.unsubscribeAll(); stream.unsubscribeAll(); ctrl.abort(); });
  const canon = (rows) => JSON.stringify(rows.map((r) => ({ id: r.id, n: r.n }))
    .sort((x, y) => x.id - y.id));
  const want = async () => canon(await db.sql('SELECT id, n FROM items WHERE n >= 60'));
  const converged = (what) => waitFor(what, async () => canon(shape.currentRows) === await want(),
    15_000).catch(async (err) => {
    err.message += `\n  client: ${canon(shape.currentRows)}\n  postgres: ${await want()}` +
      `\n  errors: ${JSON.stringify(errors)}`;
    throw err;
  });
  await converged('initial rows');
  await db.sql('UPDATE items SET n = 5 WHERE id = 7');		// leaves
  await db.sql('UPDATE items SET n = 65 WHERE id = 3');		// enters
  await db.sql('INSERT INTO items VALUES (13, $1, true, 130)', ['new']);
  await converged('after leave, enter, insert');
  for (const r of shape.currentRows) assert.deepEqual(Object.keys(r).sort(), ['id', 'n']);
  assert.deepEqual(errors, []);
});

scenario('schema changes: a projected shape outlives an unrelated new column, not a type change', async () => {
  const proj = await readToEnd(E, { table: 'items', columns: 'id,title', where: 'id < 5' });
  const all = await readToEnd(E, { table: 'items' });
  const fp = follow(E, { handle: proj.handle, offset: proj.offset,
    extra: { columns: 'id,title', where: 'id < 5' } });
  const fa = follow(E, { handle: all.handle, offset: all.offset });
  await waitFor('live', () => fp.upToDate && fa.upToDate);
  await db.sql('ALTER TABLE items ADD COLUMN extra int');
  await db.sql('UPDATE items SET title = $1 WHERE id = 2', ['after add']);
  await waitFor('all-column shape 409', () => fa.errors.some((e) => e.startsWith('409')), 15_000);
  await waitFor('projected update', () => fp.changes.some((c) => c.value.title === 'after add'), 15_000);
  assert.deepEqual(fp.errors, [], 'the projected shape is still valid');
  await db.sql('ALTER TABLE items ALTER COLUMN title TYPE varchar(100)');
  await db.sql('UPDATE items SET title = $1 WHERE id = 2', ['after type change']);
  await waitFor('projected shape 409', () => fp.errors.some((e) => e.startsWith('409')), 15_000);
  await fp.stop();
  await fa.stop();
});

scenario('a WHERE that fails on the data in Postgres is a 400, not a crash loop', async () => {
  await db.sql('CREATE TABLE big (id int PRIMARY KEY, v int8)');
  await db.sql('INSERT INTO big VALUES (1, 1), (2, 9223372036854775807)');
  const params = { table: 'big', offset: '-1', where: 'v * 2 > 0' };
  let r;
  for (let i = 0; i < 5; i++) {
    r = await shapeGet(E, params);
    if (r.status === 400) break;
    assert.ok([409, 503].includes(r.status), `${r.status} ${r.text}`);
    await sleep(200);
  }
  assert400(r, 'where', ['bigint out of range']);
  // Asked again within the next seconds: the same answer, no new shape.
  assert400(await shapeGet(E, params), 'where', ['bigint out of range']);
  // Once the data allows it, the shape works (after the 10 s memory).
  await db.sql('UPDATE big SET v = 5 WHERE id = 2');
  await sleep(10_500);
  const s = await readToEnd(E, { table: 'big', where: 'v * 2 > 0' });
  assert.deepEqual(ids(s.messages), [1, 2]);
});

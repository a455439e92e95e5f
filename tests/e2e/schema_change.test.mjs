// schema_change: an incarnation ends when its table changes (PROTOCOL.md
// §4.5, §17 item 26): a column added, the table renamed, or dropped and
// re-created under the same name.  Each gives the waiting live client a
// 409 naming a new handle, and the new shape shows the new schema.
// Dropped tables leave the publication, so that case is caught by the
// shapecache's periodic reconciliation (15 s) or the next resolution.

import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import {
  assert409, cleanup, createDatabase, dumpLogs, readToEnd, scenario, shapeGet,
  sleep, startElectricd,
} from './lib.mjs';

let db;
let E;

before(async () => {
  db = await createDatabase('schema');
  E = await startElectricd({
    databaseUrl: db.url,
    env: { ELECTRIC_LONG_POLL_TIMEOUT: '20000' },
  }).catch((err) => { dumpLogs('start-up failed'); throw err; });
});
after(cleanup);

/* Reads table t to the end, starts a live request, runs the DDL+DML after
 * a short delay, and returns { old, r } with the live response. */
async function liveAcross(t, change) {
  const s = await readToEnd(E, { table: t });
  const live = shapeGet(E, { table: t, handle: s.handle, offset: s.offset, live: 'true', cursor: '' });
  await sleep(300);
  await change();
  return { old: s.handle, r: await live };
}

scenario('26: ALTER TABLE ADD COLUMN then INSERT: 409 and the new column', async () => {
  await db.sql('CREATE TABLE t_add (id int PRIMARY KEY, v text)');
  await db.sql("INSERT INTO t_add VALUES (1, 'a')");
  const { old, r } = await liveAcross('t_add', async () => {
    await db.sql('ALTER TABLE t_add ADD COLUMN x int');
    await db.sql("INSERT INTO t_add VALUES (2, 'b', 7)");
  });
  const h = assert409(r, undefined, 'live request across ADD COLUMN');
  assert.ok(h && h !== old, `409 names a new handle (${h}, old ${old})`);
  assert.ok(r.ms < 10_000, `answered in ${r.ms} ms, not at the long-poll timeout`);
  const n = await readToEnd(E, { table: 't_add' });
  assert.equal(n.handle, h, 'offset=-1 gives the handle the 409 named');
  const rows = n.messages.filter((m) => m.key).map((m) => m.value);
  assert.deepEqual(rows.sort((a, b) => a.id - b.id),
    [{ id: '1', v: 'a', x: null }, { id: '2', v: 'b', x: '7' }]);
});

scenario('ALTER TABLE RENAME: the old name\'s shape ends', async () => {
  await db.sql('CREATE TABLE t_ren (id int PRIMARY KEY)');
  await db.sql('INSERT INTO t_ren VALUES (1)');
  const { old, r } = await liveAcross('t_ren', async () => {
    await db.sql('ALTER TABLE t_ren RENAME TO t_ren2');
    await db.sql('INSERT INTO t_ren2 VALUES (2)');
  });
  assert.equal(r.status, 409, `live request across a rename: ${r.status} ${r.text}`);
  const again = await shapeGet(E, { table: 't_ren', offset: '-1' });
  assert.equal(again.status, 400, 'the old name no longer exists');
  const moved = await readToEnd(E, { table: 't_ren2' });
  assert.notEqual(moved.handle, old);
  assert.equal(moved.messages.filter((m) => m.key).length, 2);
});

scenario('DROP and CREATE under the same name: 409, then the new table', async () => {
  await db.sql('CREATE TABLE t_drop (id int PRIMARY KEY, v text)');
  await db.sql("INSERT INTO t_drop VALUES (1, 'old')");
  const { old, r } = await liveAcross('t_drop', async () => {
    await db.sql('DROP TABLE t_drop');
    await db.sql('CREATE TABLE t_drop (id int PRIMARY KEY, v text)');
    await db.sql("INSERT INTO t_drop VALUES (9, 'new')");
  });
  const h = assert409(r, undefined, 'live request across DROP + CREATE');
  assert.ok(h && h !== old, `a new handle (${h})`);
  const n = await readToEnd(E, { table: 't_drop' });
  assert.deepEqual(n.messages.filter((m) => m.key).map((m) => m.value), [{ id: '9', v: 'new' }]);
});

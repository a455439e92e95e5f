// slot_lost: the replication slot dropped while electricd runs (the
// walsender terminated, then pg_drop_replication_slot; an invalidated
// slot, wal_status 'lost', takes the same path).  connmgr notices within
// seconds, restarts what follows it, re-creates the slot and purges every
// shape before serving again: a live client gets 409, a new shape holds
// every row and new changes flow.  One restart, no crash loop.

import assert from 'node:assert/strict';
import { after } from 'node:test';
import {
  cleanup, createDatabase, createItems, ctl, follow, isChange, readToEnd, scenario,
  shapeGet, sleep, startElectricd, waitFor,
} from './lib.mjs';

after(cleanup);

const keys = (msgs) => msgs.filter(isChange).map((m) => m.key).sort();
const itemKeys = (...ids) => ids.map((id) => `"public"."items"/"${id}"`).sort();

scenario('slot dropped while running: recovered, 409, new data flows', async () => {
  const db = await createDatabase('slot_lost');
  await createItems(db);
  const E = await startElectricd({ databaseUrl: db.url, env: { ELECTRIC_LONG_POLL_TIMEOUT: '3000' } });
  const slot = `electric_slot_${E.env.ELECTRIC_REPLICATION_STREAM_ID}`;
  const before = await readToEnd(E, { table: 'items' });
  const f = follow(E, { handle: before.handle, offset: before.offset });
  await waitFor('the follower to be live', () => f.upToDate);

  // End the walsender and drop the slot (replication may grab it again
  // between the two: repeat until it is gone).
  let dropped = false;
  for (let i = 0; i < 100 && !dropped; i++) {
    const rows = await db.sql(
      'SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1', [slot]);
    if (rows[0]?.active_pid) await db.sql('SELECT pg_terminate_backend($1)', [rows[0].active_pid]);
    dropped = await db.sql('SELECT pg_drop_replication_slot($1)', [slot])
      .then(() => true, () => false);
    if (!dropped) await sleep(50);
  }
  assert.ok(dropped, 'slot dropped');
  await db.sql("INSERT INTO items VALUES (3, 'three', false)");

  // The live client is told to refetch.
  await waitFor('409 for the live client', () => f.errors.some((e) => e.startsWith('409')), 20_000);
  await f.stop();
  assert.match(E.log(), /replication slot \S+ was dropped/, 'connmgr says why it restarts');
  assert.match(E.log(), /purged 1 shape/);

  // The slot is back; a new shape has every row; changes flow again.
  await waitFor('the slot re-created', async () =>
    (await db.sql('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [slot])).length === 1);
  const s = await readToEnd(E, { table: 'items' });
  assert.notEqual(s.handle, before.handle);
  assert.deepEqual(keys(s.messages), itemKeys(1, 2, 3));
  await db.sql("INSERT INTO items VALUES (4, 'four', true)");
  const r = await shapeGet(E, { table: 'items', offset: s.offset, handle: s.handle, live: 'true' });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(keys(r.body), itemKeys(4));

  // One restart of connmgr, not a loop.
  await sleep(3000);
  const st = ctl(E, ['status']);
  assert.equal(st.code, 0, st.stderr);
  const cm = st.json.processes.find((p) => p.role === 'connmgr');
  assert.equal(cm.restarts, 1, `connmgr restarts: ${JSON.stringify(cm)}`);
  assert.equal(st.json.health, 'active');
  await E.stop();
});

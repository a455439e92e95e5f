// slot_invalidated: while electricd is stopped, Postgres removes WAL its
// slot still needs (max_slot_wal_keep_size) and invalidates the slot
// (wal_status 'lost').  At the next start connmgr drops and re-creates
// the slot and purges every shape before serving: the old handle gets
// 409 and the new shape holds every row, including those written while
// electricd was down.  No crash loop.

import assert from 'node:assert/strict';
import { after } from 'node:test';
import {
  assert409, cleanup, ctl, isChange, readToEnd, scenario, shapeGet, startElectricd,
} from './lib.mjs';
import { startCluster } from './pgcluster.mjs';

after(cleanup);

const keys = (msgs) => msgs.filter(isChange).map((m) => m.key).sort();
const itemKeys = (...ids) => ids.map((id) => `"public"."items"/"${id}"`).sort();

scenario('slot invalidated while stopped: re-created, purge, 409', async () => {
  const C = await startCluster('lost');
  await C.sql("ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'");
  await C.sql('SELECT pg_reload_conf()');
  await C.sql('CREATE TABLE items (id int PRIMARY KEY, title text)');
  await C.sql("INSERT INTO items VALUES (1, 'one'), (2, 'two')");
  const E = await startElectricd({ databaseUrl: C.url });
  const slot = `electric_slot_${E.env.ELECTRIC_REPLICATION_STREAM_ID}`;
  const before = await readToEnd(E, { table: 'items' });
  await E.stop();

  // Write past the slot's allowance, switch segments, checkpoint.
  for (let i = 3; i <= 6; i++) {
    await C.sql('INSERT INTO items VALUES ($1, $2)', [i, 'x'.repeat(1000)]);
    await C.sql('SELECT pg_switch_wal()');
  }
  await C.sql('CHECKPOINT');
  const [st] = await C.sql('SELECT wal_status FROM pg_replication_slots WHERE slot_name = $1', [slot]);
  assert.equal(st?.wal_status, 'lost', 'the slot is invalidated');

  await E.restart();
  assert.match(E.log(), /dropped replication slot \S+: it was invalidated/);
  assert.match(E.log(), /purged 1 shape: replication slot \S+ was created after it was invalidated/);
  const [now] = await C.sql('SELECT wal_status FROM pg_replication_slots WHERE slot_name = $1', [slot]);
  assert.notEqual(now?.wal_status, 'lost');

  const r = await shapeGet(E, { table: 'items', offset: before.offset, handle: before.handle });
  const fresh = assert409(r, undefined, 'old handle after the slot was invalidated');
  const s = await readToEnd(E, { table: 'items' });
  assert.equal(s.handle, fresh);
  assert.deepEqual(keys(s.messages), itemKeys(1, 2, 3, 4, 5, 6));
  const cm = ctl(E, ['status']).json.processes.find((p) => p.role === 'connmgr');
  assert.equal(cm.restarts, 0, JSON.stringify(cm));
  await E.stop();
});

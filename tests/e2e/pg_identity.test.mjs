// pg_identity: the shapes on disk only continue the replication stream
// they were built from (PROTOCOL.md §12.2 steps 6 and 8, §17 item 41).
// (a) The slot dropped while electricd was stopped: connmgr re-creates it
// and purges every shape before anything serves; the old handle gets 409
// naming a new handle, whose snapshot holds the rows written meanwhile.
// (b) ELECTRIC_REPLICATION_STREAM_ID changed (another slot): purge, 409.
// (c) The publication dropped while stopped: connmgr creates it anew and
// with it the slot (§12.2 step 4), which purges too.
// A plain restart purges nothing (restart.test.mjs covers it in depth).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after } from 'node:test';
import {
  assert409, cleanup, createDatabase, createItems, isChange, readToEnd, scenario,
  shapeGet, sleep, startElectricd,
} from './lib.mjs';

after(cleanup);

const slotOf = (E) => `electric_slot_${E.env.ELECTRIC_REPLICATION_STREAM_ID}`;

/* Drops a slot, ending a walsender that still holds it. */
async function dropSlot(db, slot) {
  for (let i = 0; i < 50; i++) {
    const rows = await db.sql(
      'SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1', [slot]);
    if (rows.length === 0) return;
    if (rows[0].active_pid) {
      await db.sql('SELECT pg_terminate_backend($1)', [rows[0].active_pid]);
    } else {
      await db.sql('SELECT pg_drop_replication_slot($1)', [slot]).catch(() => {});
    }
    await sleep(100);
  }
  throw new Error(`could not drop slot ${slot}`);
}

const keys = (msgs) => msgs.filter(isChange).map((m) => m.key).sort();
const itemKeys = (...ids) => ids.map((id) => `"public"."items"/"${id}"`).sort();
const shapeDirs = (E) => fs.readdirSync(path.join(E.storageDir, 'shapes')).sort();

/* Reads the shape, stops, runs change(), restarts; returns the old state. */
async function purgeAcrossRestart(E, db, change) {
  const before = await readToEnd(E, { table: 'items' });
  assert.deepEqual(keys(before.messages), itemKeys(1, 2));
  await E.stop();
  await change();
  await db.sql("INSERT INTO items VALUES (3, 'three', false)");
  await E.restart();
  return before;
}

/* The old handle is gone (409 naming the new one) and the new shape is
 * a fresh snapshot with every row. */
async function assertPurged(E, before, why) {
  const r = await shapeGet(E, { table: 'items', offset: before.offset, handle: before.handle });
  const fresh = assert409(r, undefined, `old handle after ${why}`);
  assert.ok(fresh && fresh !== before.handle, `409 names a new handle: ${fresh}`);
  const after2 = await readToEnd(E, { table: 'items' });
  assert.equal(after2.handle, fresh);
  assert.deepEqual(keys(after2.messages), itemKeys(1, 2, 3), 'new snapshot holds every row');
  assert.deepEqual(shapeDirs(E), [fresh], 'only the new shape is on disk');
  assert.match(E.log(), /purged 1 shape/, 'the purge is logged');
  assert.match(E.log(), new RegExp(why), 'the reason is logged');
}

scenario('slot dropped while stopped: purge, 409, fresh snapshot', async () => {
  const db = await createDatabase('ident_slot');
  await createItems(db);
  const E = await startElectricd({ databaseUrl: db.url });
  const before = await purgeAcrossRestart(E, db, () => dropSlot(db, slotOf(E)));
  await assertPurged(E, before, 'was created');

  // Live changes flow into the new shape.
  const s = await readToEnd(E, { table: 'items' });
  await db.sql("INSERT INTO items VALUES (4, 'four', true)");
  const r = await shapeGet(E, { table: 'items', offset: s.offset, handle: s.handle, live: 'true' });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(keys(r.body), itemKeys(4));
  await E.stop();
});

scenario('ELECTRIC_REPLICATION_STREAM_ID changed: purge, 409', async () => {
  const db = await createDatabase('ident_stream');
  await createItems(db);
  const E = await startElectricd({ databaseUrl: db.url });
  const old = E.env.ELECTRIC_REPLICATION_STREAM_ID;
  const before = await purgeAcrossRestart(E, db, () => {
    E.env.ELECTRIC_REPLICATION_STREAM_ID = `${old}_b`;
  });
  await assertPurged(E, before, 'replication slot changed');

  // The new identity was recorded: a plain restart keeps the new shape.
  const s = await readToEnd(E, { table: 'items' });
  await E.stop();
  await E.restart();
  const r = await shapeGet(E, { table: 'items', offset: s.offset, handle: s.handle });
  assert.equal(r.status, 200, `a plain restart keeps the shape: ${r.text}`);
  assert.equal(r.headers['electric-handle'], s.handle);
  await E.stop();
});

scenario('publication dropped while stopped: new publication and slot, purge', async () => {
  const db = await createDatabase('ident_pub');
  await createItems(db);
  const E = await startElectricd({ databaseUrl: db.url });
  const pub = `electric_publication_${E.env.ELECTRIC_REPLICATION_STREAM_ID}`;
  const before = await purgeAcrossRestart(E, db, () => db.sql(`DROP PUBLICATION ${pub}`));
  await assertPurged(E, before, 'was created with the publication');

  // The table is published again and changes flow.
  const s = await readToEnd(E, { table: 'items' });
  await db.sql("INSERT INTO items VALUES (4, 'four', true)");
  const r = await shapeGet(E, { table: 'items', offset: s.offset, handle: s.handle, live: 'true' });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(keys(r.body), itemKeys(4));
  await E.stop();
});

// restart: electricd stopped with SIGTERM and started again on the same
// storage directory keeps its shapes (PROTOCOL.md §17 item 41): the old
// handle stays valid (no 409), a client that resumes from the offset it
// held before the stop gets exactly the rows inserted while electricd was
// down (each once, nothing it already had), and live requests work again.

import assert from 'node:assert/strict';
import { after } from 'node:test';
import {
  changesFor, cleanup, createDatabase, createItems, follow, isChange, scenario,
  shapeGet, sleep, startElectricd, waitFor,
} from './lib.mjs';

after(cleanup);

scenario('restart on the same storage keeps handles and loses nothing', async () => {
  const db = await createDatabase('restart');
  await createItems(db);
  const env = { ELECTRIC_LONG_POLL_TIMEOUT: '2000' };
  const E = await startElectricd({ databaseUrl: db.url, env });

  // A client reads the shape to the end ...
  let r = await shapeGet(E, { table: 'items', offset: '-1' });
  assert.equal(r.status, 200, r.text);
  const handle = r.headers['electric-handle'];
  r = await shapeGet(E, { table: 'items', offset: '0_0', handle });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers['electric-up-to-date'], '');

  // ... and follows two inserts live.
  const f1 = follow(E, { handle, offset: r.headers['electric-offset'] });
  await db.sql("INSERT INTO items VALUES (3, 'three', false)");
  await db.sql("INSERT INTO items VALUES (4, 'four', true)");
  await waitFor('rows 3 and 4 live', () => changesFor(f1, 3).length && changesFor(f1, 4).length);
  await f1.stop();
  assert.deepEqual(f1.errors, []);
  const heldOffset = f1.offset;

  // Stop; write while electricd is down.
  const st = await E.stop();
  assert.ok(st.code === 0 || st.signal === 'SIGTERM', `clean exit: ${JSON.stringify(st)}`);
  await db.sql("BEGIN; INSERT INTO items VALUES (5, 'five', null); INSERT INTO items VALUES (6, 'six', true); COMMIT");
  await db.sql("INSERT INTO items VALUES (7, 'seven', false)");

  await E.restart();

  // The old handle is still served: same handle for offset=-1 ...
  r = await shapeGet(E, { table: 'items', offset: '-1' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers['electric-handle'], handle, 'same handle after restart');

  // ... and resuming from the held offset yields exactly 5, 6, 7.
  r = await shapeGet(E, { table: 'items', offset: heldOffset, handle });
  assert.notEqual(r.status, 409, `no must-refetch after restart: ${r.text}`);
  assert.equal(r.status, 200, r.text);
  const f2 = follow(E, { handle, offset: heldOffset });
  await waitFor('rows 5, 6, 7 after the restart',
    () => [5, 6, 7].every((id) => changesFor(f2, id).length > 0), 20_000);
  // Give late duplicates a chance to show up (one long-poll period).
  await sleep(2500);
  await f2.stop();
  assert.deepEqual(f2.errors, []);
  assert.deepEqual(f2.changes.map((m) => `${m.headers.operation} ${m.key}`), [
    'insert "public"."items"/"5"',
    'insert "public"."items"/"6"',
    'insert "public"."items"/"7"',
  ], 'exactly the rows written while down, once each');

  // Live works after the restart.
  const f3 = follow(E, { handle, offset: f2.offset });
  await waitFor('the follower to be live', () => f3.upToDate);
  await db.sql("INSERT INTO items VALUES (8, 'eight', true)");
  await waitFor('row 8 live after the restart', () => changesFor(f3, 8).length > 0);
  await sleep(500);
  await f3.stop();
  assert.deepEqual(f3.changes.map((m) => m.key), ['"public"."items"/"8"']);
  assert.deepEqual(f3.errors, []);

  // A full catch-up from the start holds every row once.
  let off = '0_0';
  const all = [];
  for (let i = 0; i < 20; i++) {
    r = await shapeGet(E, { table: 'items', offset: off, handle });
    assert.equal(r.status, 200, r.text);
    all.push(...r.body.filter(isChange));
    off = r.headers['electric-offset'];
    if (r.headers['electric-up-to-date'] !== undefined) break;
  }
  assert.deepEqual(all.map((m) => m.key),
    [3, 4, 5, 6, 7, 8].map((id) => `"public"."items"/"${id}"`));

  await E.stop();
});

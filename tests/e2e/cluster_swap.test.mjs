// cluster_swap: one storage directory used against cluster A, then
// against another cluster B on the same port and URL (what a restore
// from a backup into a new cluster looks like).  B has another system
// identifier: every shape is purged before anything is served, the old
// handle gets 409, the new shape holds B's rows (PROTOCOL.md §12.2 step
// 8, §17 item 41).  Likewise a promoted copy of A (same system
// identifier, next timeline: a point-in-time restore or a failover).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after } from 'node:test';
import {
  assert409, cleanup, isChange, readToEnd, scenario, shapeGet, startElectricd, waitFor,
} from './lib.mjs';
import { promotedCopy, startCluster } from './pgcluster.mjs';

after(cleanup);

const keys = (msgs) => msgs.filter(isChange).map((m) => m.key).sort();
const itemKeys = (...ids) => ids.map((id) => `"public"."items"/"${id}"`).sort();

async function items(c, ids) {
  await c.sql('CREATE TABLE items (id int PRIMARY KEY, title text)');
  for (const id of ids) await c.sql('INSERT INTO items VALUES ($1, $2)', [id, `row ${id}`]);
}

scenario('another cluster behind the same URL: purge, 409', async () => {
  const A = await startCluster('swap-a');
  await items(A, [1, 2]);
  const E = await startElectricd({ databaseUrl: A.url });
  const before = await readToEnd(E, { table: 'items' });
  assert.deepEqual(keys(before.messages), itemKeys(1, 2));
  await E.stop();
  A.stop();

  const B = await startCluster('swap-b', A.port);
  await items(B, [7, 8, 9]);
  await E.restart();
  assert.match(E.log(), /purged 1 shape: the Postgres system identifier changed/);

  const r = await shapeGet(E, { table: 'items', offset: before.offset, handle: before.handle });
  const fresh = assert409(r, undefined, 'old handle on the new cluster');
  assert.ok(fresh && fresh !== before.handle, `409 names a new handle: ${fresh}`);
  const now = await readToEnd(E, { table: 'items' });
  assert.equal(now.handle, fresh);
  assert.deepEqual(keys(now.messages), itemKeys(7, 8, 9), 'rows of cluster B only');
  assert.deepEqual(fs.readdirSync(path.join(E.storageDir, 'shapes')), [fresh]);
  await E.stop();
});

scenario('a promoted copy (new timeline) behind the same URL: purge, 409', async () => {
  const A = await startCluster('tl-a');
  await items(A, [1, 2]);
  const E = await startElectricd({ databaseUrl: A.url });
  const before = await readToEnd(E, { table: 'items' });
  await E.stop();
  await A.sql("INSERT INTO items VALUES (3, 'row 3')");

  const B = await promotedCopy(A, 'tl-b');
  await waitFor('the copy promoted', async () =>
    (await B.sql('SELECT pg_is_in_recovery() AS r'))[0].r === false);
  await E.restart();
  assert.match(E.log(), /purged 1 shape: the Postgres timeline changed \(.*\): timeline was 1, is 2/);
  const r = await shapeGet(E, { table: 'items', offset: before.offset, handle: before.handle });
  const fresh = assert409(r, undefined, 'old handle on the promoted copy');
  const now = await readToEnd(E, { table: 'items' });
  assert.equal(now.handle, fresh);
  assert.deepEqual(keys(now.messages), itemKeys(1, 2, 3));
  await E.stop();
});

// health_waiting: two electricd on the same database and replication
// stream id (so the same slot and advisory lock), each with its own
// storage directory (PROTOCOL.md §12.2 step 3, §14.1; §17 item 2).  The
// second one blocks on the lock: /v1/health says 202 {"status":"waiting"}
// and a shape request is answered 503 with retry-after after the 5 s
// stack-ready wait.  When the first stops, the second takes the lock,
// becomes active and serves shapes (and sees later changes live).

import assert from 'node:assert/strict';
import { after } from 'node:test';
import {
  cleanup, createDatabase, createItems, httpGet, isChange, readToEnd, scenario,
  shapeGet, sleep, startElectricd, waitFor,
} from './lib.mjs';

after(cleanup);

scenario('2: a second instance waits for the lock, then takes over', async () => {
  const db = await createDatabase('waiting');
  await createItems(db);
  const env = { ELECTRIC_LONG_POLL_TIMEOUT: '2000' };
  const A = await startElectricd({ databaseUrl: db.url, env });
  const first = await readToEnd(A, { table: 'items' });

  const B = await startElectricd({
    databaseUrl: db.url,
    env: { ...env, ELECTRIC_REPLICATION_STREAM_ID: A.env.ELECTRIC_REPLICATION_STREAM_ID },
    wait: 'http',
  });
  // B reaches "waiting" (it may say "starting" for a moment first).
  const statuses = new Set();
  await waitFor('B health 202 {"status":"waiting"}', async () => {
    const r = await httpGet(B, '/v1/health');
    statuses.add(`${r.status} ${r.text}`);
    return r.status === 202 && r.text === '{"status":"waiting"}';
  }, 10_000);
  const h = await httpGet(B, '/v1/health');
  assert.equal(h.headers['cache-control'], 'no-cache, no-store, must-revalidate');
  assert.match(h.headers['content-type'] ?? '', /^application\/json/);
  for (const s of statuses) {
    assert.ok(['202 {"status":"starting"}', '202 {"status":"waiting"}'].includes(s),
      `B's health before it holds the lock: ${s}`);
  }
  // A is unaffected.
  const ha = await httpGet(A, '/v1/health');
  assert.equal(`${ha.status} ${ha.text}`, '200 {"status":"active"}');

  // A shape request on B: 503 after the 5 s stack-ready wait.
  const r = await shapeGet(B, { table: 'items', offset: '-1' }, { timeout: 15_000 });
  assert.equal(r.status, 503, r.text);
  assert.ok(r.ms >= 4500 && r.ms < 9000, `503 after ${r.ms} ms (want ≈ 5000)`);
  assert.equal(r.headers['retry-after'], '5');
  assert.equal(r.headers['cache-control'], 'no-store');
  assert.equal(typeof r.body?.message, 'string', `JSON body with a message: ${r.text}`);
  assert.match(r.body.message, /lock/i, 'the message names the lock');
  // B still waits (a 503 is not a crash).
  assert.equal((await httpGet(B, '/v1/health')).status, 202);

  // A stops: B takes the lock and becomes active.
  await A.stop();
  await waitFor('B health 200 active', async () => {
    const x = await httpGet(B, '/v1/health');
    return x.status === 200 && x.text === '{"status":"active"}';
  }, 15_000);
  await db.sql("INSERT INTO items VALUES (3, 'three', false)");
  const s = await readToEnd(B, { table: 'items' });
  const ids = s.messages.filter(isChange).map((m) => m.value.id).sort();
  assert.deepEqual(ids, ['1', '2', '3'], 'B serves the current rows');
  // Its own storage: B's handle is not A's (handles are never reused).
  assert.notEqual(s.handle, first.handle);
  // And B streams new changes.
  const p = shapeGet(B, { table: 'items', handle: s.handle, offset: s.offset, live: 'true', cursor: '' });
  await sleep(200);
  await db.sql("INSERT INTO items VALUES (4, 'four', true)");
  const l = await p;
  assert.equal(l.status, 200, l.text);
  assert.deepEqual(l.body.filter(isChange).map((m) => m.key), ['"public"."items"/"4"'], l.text);
  await B.stop();
});

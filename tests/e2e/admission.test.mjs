// admission: admission control (PROTOCOL.md §15; §17 item 39) with
// ELECTRIC_MAX_INITIAL_REQUESTS=2 and ELECTRIC_MAX_EXISTING_REQUESTS=2.
// Initial requests (no handle, or one unknown here) are held
// deterministically by an ACCESS EXCLUSIVE lock on their tables, so the
// snapshot cannot start: a third initial request gets the 503 at once,
// while existing-shape requests still pass; when the lock goes the held
// requests complete and new ones pass.  Two live requests fill the
// existing limit: a third is refused, initial requests still pass.  A
// burst of new shapes gets only 200s and limit 503s, and every 503
// succeeds on retry.

import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import pg from 'pg';
import {
  cleanup, createDatabase, dumpLogs, onCleanup, readToEnd, scenario, shapeGet, sleep,
  startElectricd,
} from './lib.mjs';

const LONG_POLL_MS = 3000;

let db;
let E;

before(async () => {
  db = await createDatabase('admission');
  for (let i = 1; i <= 14; i++) {
    await db.sql(`CREATE TABLE t${i} (id int PRIMARY KEY, v text)`);
    await db.sql(`INSERT INTO t${i} SELECT g, 'v' || g FROM generate_series(1, 200) g`);
  }
  E = await startElectricd({
    databaseUrl: db.url,
    env: {
      ELECTRIC_LONG_POLL_TIMEOUT: String(LONG_POLL_MS),
      ELECTRIC_MAX_INITIAL_REQUESTS: '2',
      ELECTRIC_MAX_EXISTING_REQUESTS: '2',
    },
  }).catch((err) => { dumpLogs('start-up failed'); throw err; });
});
after(cleanup);

function assertOverload(r, kind, what) {
  assert.equal(r.status, 503, `${what}: ${r.status} ${r.text}`);
  assert.equal(r.body?.code, 'concurrent_request_limit_exceeded', `${what}: ${r.text}`);
  if (kind === 'initial') {
    assert.equal(r.body.message,
      'Concurrent initial request limit exceeded (limit: 2), please retry', `${what}: message`);
  } else {
    assert.match(r.body.message, /^Concurrent existing request limit exceeded \(limit: 2\), please retry$/,
      `${what}: message`);
  }
  const ra = Number(r.headers['retry-after']);
  assert.ok(Number.isInteger(ra) && ra >= 5 && ra <= 10, `${what}: retry-after ${r.headers['retry-after']}`);
  assert.equal(r.headers['cache-control'], 'no-store', `${what}: cache-control`);
  assert.equal(r.headers['electric-internal-known-error'], 'true', `${what}: known-error header`);
  assert.ok(r.ms < 1000, `${what}: refused at once (${r.ms} ms)`);
}

/* A connection holding ACCESS EXCLUSIVE locks on tables until release(). */
async function lockTables(tables) {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  await c.query('BEGIN');
  for (const t of tables) await c.query(`LOCK TABLE ${t} IN ACCESS EXCLUSIVE MODE`);
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    await c.query('ROLLBACK').catch(() => {});
    await c.end().catch(() => {});
  };
  onCleanup(release);
  return release;
}

scenario('39: the initial-request limit', async () => {
  const existing = await readToEnd(E, { table: 't14' });
  // Publish t1 and t2 ourselves first, so that electricd has no DDL to run
  // on them: only their snapshot queries wait for the lock.
  const pub = `electric_publication_${E.env.ELECTRIC_REPLICATION_STREAM_ID}`;
  await db.sql('ALTER TABLE t1 REPLICA IDENTITY FULL; ALTER TABLE t2 REPLICA IDENTITY FULL');
  await db.sql(`ALTER PUBLICATION ${pub} ADD TABLE t1, t2`);
  const release = await lockTables(['t1', 't2']);
  const quick = { timeout: 5000 };
  let held;
  try {
    held = [
      shapeGet(E, { table: 't1', offset: '-1' }, { timeout: 30_000 }).catch((err) => err),
      shapeGet(E, { table: 't2', offset: '-1' }, { timeout: 30_000 }).catch((err) => err),
    ];
    await sleep(700);
    const third = await shapeGet(E, { table: 't3', offset: '-1' }, quick);
    assertOverload(third, 'initial', 'a third new shape while two are held');
    // offset=-1 of an existing shape is an initial request too (no handle).
    const again = await shapeGet(E, { table: 't14', offset: '-1' }, quick);
    assertOverload(again, 'initial', 'offset=-1 of an existing shape');
    // An unknown handle is initial as well.
    const unknown = await shapeGet(E, { table: 't14', offset: '0_0', handle: 'nonexistent' }, quick);
    assertOverload(unknown, 'initial', 'an unknown handle');
    // Requests with a known handle are not initial.
    const ok = await shapeGet(E, { table: 't14', offset: existing.offset, handle: existing.handle }, quick);
    assert.equal(ok.status, 200, `existing shape while the initial slots are full: ${ok.text}`);
  } finally {
    await release();
  }
  const [r1, r2] = await Promise.all(held);
  assert.equal(r1.status, 200, `held t1 after the lock is released: ${r1.text ?? r1}`);
  assert.equal(r2.status, 200, `held t2 after the lock is released: ${r2.text ?? r2}`);
  // Slots are free again.
  const r3 = await shapeGet(E, { table: 't3', offset: '-1' }, quick);
  assert.equal(r3.status, 200, `t3 once the slots are free: ${r3.text}`);
});

scenario('39: the existing-request limit', async () => {
  const s = await readToEnd(E, { table: 't14' });
  const live = { table: 't14', handle: s.handle, offset: s.offset, live: 'true', cursor: '' };
  const held = [shapeGet(E, live).catch((err) => err), shapeGet(E, live).catch((err) => err)];
  await sleep(500);
  const quick = { timeout: 5000 };
  const third = await shapeGet(E, live, quick);
  assertOverload(third, 'existing', 'a third live request');
  const catchup = await shapeGet(E, { table: 't14', handle: s.handle, offset: s.offset }, quick);
  assertOverload(catchup, 'existing', 'a catch-up request while two live requests are held');
  // Initial requests have their own limit.
  const init = await shapeGet(E, { table: 't4', offset: '-1' }, quick);
  assert.equal(init.status, 200, `an initial request while the existing slots are full: ${init.text}`);
  for (const r of await Promise.all(held)) assert.equal(r.status, 200, r.text ?? String(r));
  const after2 = await shapeGet(E, live);
  assert.equal(after2.status, 200, `after the live requests ended: ${after2.text}`);
});

scenario('39: a burst of new shapes: 200 or 503, and every 503 succeeds on retry', async () => {
  const tables = ['t5', 't6', 't7', 't8', 't9', 't10', 't11', 't12', 't13'];
  const first = await Promise.all(tables.map((t) => shapeGet(E, { table: t, offset: '-1' },
    { timeout: 20_000 })));
  const refused = [];
  first.forEach((r, i) => {
    if (r.status === 503) {
      assertOverload({ ...r, ms: 0 }, 'initial', `burst ${tables[i]}`);
      refused.push(tables[i]);
    } else {
      assert.equal(r.status, 200, `burst ${tables[i]}: ${r.status} ${r.text}`);
    }
  });
  for (const t of refused) {
    const r = await shapeGet(E, { table: t, offset: '-1' }, { timeout: 20_000 });
    assert.equal(r.status, 200, `retry of ${t}: ${r.status} ${r.text}`);
  }
  console.log(`# burst of ${tables.length} new shapes: ${refused.length} refused with 503`);
});

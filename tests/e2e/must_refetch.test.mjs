// must_refetch: handles and 409s (PROTOCOL.md §4, §7.6; §17 items 23,
// 24, 25, 28) over plain fetch, one electricd with a 2 s long-poll
// timeout (so the out-of-bounds wait is 1 s), table items with 2 rows and
// an empty table other.  The subtests run in order: the last one
// truncates items.

import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import {
  CACHE, assert400, assert409, assertUpToDateOnly, cleanup, createDatabase, createItems,
  dumpLogs, isChange, readToEnd, scenario, shapeGet, sleep, startElectricd,
} from './lib.mjs';

const LONG_POLL_MS = 2000;

let db;
let E;
let full;		// { handle, offset } of items (log=full) read to the end
const seen = new Set();	// every handle this file was given

before(async () => {
  db = await createDatabase('refetch');
  await createItems(db);
  await db.sql('CREATE TABLE other (id int PRIMARY KEY, v text)');
  E = await startElectricd({
    databaseUrl: db.url,
    env: { ELECTRIC_LONG_POLL_TIMEOUT: String(LONG_POLL_MS) },
  }).catch((err) => { dumpLogs('start-up failed'); throw err; });
  const s = await readToEnd(E, { table: 'items' });
  full = { handle: s.handle, offset: s.offset };
  seen.add(full.handle);
});
after(cleanup);

scenario('25: an unknown handle gets a 409 naming the live shape', async () => {
  for (const offset of ['0_0', full.offset]) {
    const r = await shapeGet(E, { table: 'items', handle: 'nonexistent', offset });
    assert409(r, full.handle, `handle=nonexistent&offset=${offset}`);
  }
  // Also when live: answered at once, not held.
  const r = await shapeGet(E, {
    table: 'items', handle: 'nonexistent', offset: full.offset, live: 'true', cursor: '',
  });
  assert409(r, full.handle, 'live with an unknown handle');
  assert.ok(r.ms < LONG_POLL_MS / 2, `answered in ${r.ms} ms, not held`);
});

scenario('25: an unknown handle for a definition with no shape creates one', async () => {
  const r = await shapeGet(E, { table: 'other', handle: 'nonexistent', offset: '0_0' });
  const h = assert409(r, undefined, 'first request ever for table other');
  assert.ok(h, `the 409 names the freshly created shape (electric-handle): ${JSON.stringify(r.headers)}`);
  assert.ok(!seen.has(h), `new handle ${h} is not one given before`);
  seen.add(h);
  // The client follows the 409: offset=-1 with that handle gets that shape.
  const m = await shapeGet(E, { table: 'other', handle: h, offset: '-1', 'cache-buster': 'x1' });
  assert.equal(m.status, 200, m.text);
  assert.equal(m.headers['electric-handle'], h, 'offset=-1 resolves to the handle the 409 named');
  const c = await shapeGet(E, { table: 'other', handle: h, offset: m.headers['electric-offset'] });
  assert.equal(c.status, 200, c.text);
  assertUpToDateOnly(c);
});

scenario('24: a handle of another definition (log mode) gets a 409 naming the right shape', async () => {
  // No changes_only shape exists yet: the 409 creates it.
  let r = await shapeGet(E, { table: 'items', log: 'changes_only', handle: full.handle, offset: '0_0' });
  const co = assert409(r, undefined, 'log=changes_only with the full shape\'s handle');
  assert.ok(co, `electric-handle present: ${JSON.stringify(r.headers)}`);
  assert.notEqual(co, full.handle, 'changes_only is a different shape');
  assert.equal(r.headers['cache-control'], CACHE.refetch);
  seen.add(co);

  r = await shapeGet(E, { table: 'items', log: 'changes_only', offset: '-1' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers['electric-handle'], co, 'offset=-1 finds the shape the 409 named');

  // Now that it exists, the same mismatch names it again; and the other way
  // round the changes_only handle on the full definition names the full shape.
  r = await shapeGet(E, { table: 'items', log: 'changes_only', handle: full.handle, offset: '0_0' });
  assert409(r, co, 'changes_only definition, full handle');
  r = await shapeGet(E, { table: 'items', handle: co, offset: '0_0' });
  assert409(r, full.handle, 'full definition (log absent), changes_only handle');
  r = await shapeGet(E, { table: 'items', log: 'full', handle: co, offset: '0_0' });
  assert409(r, full.handle, 'log=full, changes_only handle');
  // A handle of another table.
  const other = await shapeGet(E, { table: 'other', offset: '-1' });
  r = await shapeGet(E, { table: 'items', handle: other.headers['electric-handle'], offset: '0_0' });
  assert409(r, full.handle, 'handle of table other on table items');
  // The right handle is still served.
  r = await shapeGet(E, { table: 'items', handle: full.handle, offset: full.offset });
  assert.equal(r.status, 200, r.text);
});

scenario('28: an offset beyond the end is out of bounds after half the long-poll', async () => {
  // Far beyond anything this cluster will write during the test.
  const [{ n }] = await db.sql("SELECT (pg_current_wal_lsn() - '0/0')::text AS n");
  const beyond = `${BigInt(n) + 1_000_000_000_000n}_0`;
  const r = await shapeGet(E, { table: 'items', handle: full.handle, offset: beyond });
  assert400(r, 'offset', ['out of bounds for this shape'], `offset=${beyond}`);
  assert.ok(r.ms >= LONG_POLL_MS / 2 - 200 && r.ms < LONG_POLL_MS / 2 + 2000,
    `answered after ${r.ms} ms (want ≈ ${LONG_POLL_MS / 2})`);
  // Live: same rule.
  const l = await shapeGet(E, { table: 'items', handle: full.handle, offset: beyond, live: 'true' });
  assert400(l, 'offset', ['out of bounds for this shape'], `live offset=${beyond}`);

  // A 0_* offset of an existing shape is never out of bounds (§7.6), even
  // past its last snapshot chunk.
  const past = await shapeGet(E, { table: 'items', handle: full.handle, offset: '0_5' });
  assert.equal(past.status, 200, `offset=0_5 on a one-chunk shape: ${past.text}`);
  assert.ok(past.ms < LONG_POLL_MS / 2, `answered at once (${past.ms} ms)`);

  // 0_inf is never beyond a finished snapshot (§7.6, §16.10).
  const inf = await shapeGet(E, { table: 'items', handle: full.handle, offset: '0_inf' });
  assert.equal(inf.status, 200, `offset=0_inf: ${inf.text}`);
  assert.equal(inf.headers['electric-up-to-date'], '', '0_inf: up to date');
  // And the shape still serves normally afterwards.
  const ok = await shapeGet(E, { table: 'items', handle: full.handle, offset: full.offset });
  assert.equal(ok.status, 200, ok.text);
  assertUpToDateOnly(ok);
});

scenario('28: an out-of-bounds request is served if the log catches up in time', async () => {
  // The next change's offset is unknown in advance; instead ask from the
  // current end's LSN with a larger op position: a commit inside the wait
  // moves the end beyond it.
  await db.sql("INSERT INTO items VALUES (3, 'three', false)");
  let r;
  for (let i = 0; i < 50; i++) {
    r = await shapeGet(E, { table: 'items', handle: full.handle, offset: full.offset });
    if (r.body?.some(isChange)) break;
    await sleep(100);
  }
  assert.equal(r.status, 200, r.text);
  full.offset = r.headers['electric-offset'];
  const [tx] = full.offset.split('_');
  const ahead = `${tx}_1000`;			// beyond the end, same transaction
  const p = shapeGet(E, { table: 'items', handle: full.handle, offset: ahead });
  await sleep(100);		// the commit must arrive within the 1 s wait
  await db.sql("INSERT INTO items VALUES (4, 'four', true)");
  const a = await p;
  assert.equal(a.status, 200, `a commit during the wait serves the request: ${a.status} ${a.text}`);
  const keys = a.body.filter(isChange).map((m) => m.key);
  assert.deepEqual(keys, ['"public"."items"/"4"'], a.text);
  full.offset = a.headers['electric-offset'];
});

scenario('23: TRUNCATE while a live request waits gives 409, then a new handle', async () => {
  // A live request on each items shape (full and changes_only).
  const co = (await shapeGet(E, { table: 'items', log: 'changes_only', offset: '-1' }))
    .headers['electric-handle'];
  const coEnd = await shapeGet(E, { table: 'items', log: 'changes_only', handle: co, offset: '0_0' });
  assert.equal(coEnd.status, 200, coEnd.text);
  // Like a client, re-issue a live request that times out empty (the
  // TRUNCATE travels through replication and may miss the first hold).
  const untilRefetch = async (params) => {
    for (let i = 0; ; i++) {
      const r = await shapeGet(E, { ...params, live: 'true', cursor: '' }, { timeout: 10_000 });
      if (r.status !== 200 || r.headers['electric-has-data'] !== 'false' || i >= 4) return r;
    }
  };
  const pFull = untilRefetch({ table: 'items', handle: full.handle, offset: full.offset });
  const pCo = untilRefetch({
    table: 'items', log: 'changes_only', handle: co, offset: coEnd.headers['electric-offset'],
  });
  await sleep(300);
  const t0 = Date.now();
  await db.sql('TRUNCATE items');
  const [rf, rc] = await Promise.all([pFull, pCo]);
  const dt = Date.now() - t0;
  assert409(rf, undefined, 'live request on the full shape');
  assert409(rc, undefined, 'live request on the changes_only shape');
  assert.ok(dt < 5000, `409 came ${dt} ms after the TRUNCATE`);

  // Catch-up and live requests with the old handle: 409 too.
  let r = await shapeGet(E, { table: 'items', handle: full.handle, offset: '0_0' });
  assert409(r, undefined, 'catch-up with the old handle');
  r = await shapeGet(E, { table: 'items', handle: full.handle, offset: full.offset, live: 'true' });
  assert409(r, undefined, 'live with the old handle');
  assert.ok(r.ms < LONG_POLL_MS / 2, `answered at once (${r.ms} ms)`);

  // offset=-1: a new handle, never one given before, on the empty table.
  r = await shapeGet(E, { table: 'items', offset: '-1' });
  assert.equal(r.status, 200, r.text);
  const h = r.headers['electric-handle'];
  assert.ok(h && !seen.has(h), `a new handle after TRUNCATE: ${h} (seen: ${[...seen]})`);
  assert.equal(r.body.length, 1, `empty table: only snapshot-end: ${r.text}`);
  assert.equal(r.body[0].headers.control, 'snapshot-end');
  // The new shape is live.
  const c = await shapeGet(E, { table: 'items', handle: h, offset: r.headers['electric-offset'] });
  assert.equal(c.status, 200, c.text);
  const pl = shapeGet(E, {
    table: 'items', handle: h, offset: c.headers['electric-offset'], live: 'true', cursor: '',
  });
  await sleep(200);
  await db.sql("INSERT INTO items VALUES (7, 'seven', true)");
  const l = await pl;
  assert.equal(l.status, 200, l.text);
  assert.deepEqual(l.body.filter(isChange).map((m) => m.key), ['"public"."items"/"7"'], l.text);
});

// delete: DELETE /v1/shape with ELECTRIC_ENABLE_INTEGRATION_TESTING=true
// (PROTOCOL.md §14.2, §4.3; §17 item 36, the enabled half; the disabled
// 405 is in secure.test.mjs).  Deleting by definition and by handle: 202
// with an empty body and cache-control no-cache; a live request waiting
// on the deleted shape and every later request with its handle get a
// 409; the next offset=-1 gets a new handle; the consumer process goes
// away and electricctl no longer lists the shape.  Unknown shapes → 404,
// no definition and no handle → 400, a definition with another shape's
// handle → 400.  Deleting one log mode leaves the other.

import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import {
  assert409, assertUpToDateOnly, childrenOf, cleanup, createDatabase, createItems, ctl,
  dumpLogs, isChange, procRole, readToEnd, scenario, shapeGet, sleep, startElectricd, waitFor,
} from './lib.mjs';

const LONG_POLL_MS = 2000;

let db;
let E;
const seen = new Set();

before(async () => {
  db = await createDatabase('delete');
  await createItems(db);
  E = await startElectricd({
    databaseUrl: db.url,
    env: { ELECTRIC_LONG_POLL_TIMEOUT: String(LONG_POLL_MS), ELECTRIC_ENABLE_INTEGRATION_TESTING: 'true' },
  }).catch((err) => { dumpLogs('start-up failed'); throw err; });
});
after(cleanup);

const del = (params) => shapeGet(E, params, { method: 'DELETE' });

function assert202(r, what) {
  assert.equal(r.status, 202, `${what}: ${r.status} ${r.text}`);
  assert.equal(r.text, '', `${what}: empty body`);
  assert.equal(r.headers['cache-control'], 'no-cache', `${what}: cache-control`);
}

function consumerOf(handle) {
  return childrenOf(E.pid).map(procRole).find((p) => p.role === 'consumer' && p.shape === handle);
}

async function assertGone(handle, what) {
  await waitFor(`${what}: the consumer of ${handle} to exit`, () => !consumerOf(handle), 5000);
  await waitFor(`${what}: electricctl shapes to stop listing ${handle}`, () => {
    const r = ctl(E, ['shapes']);
    return r.code === 0 && !(r.json?.shapes || []).some((s) => s.handle === handle);
  }, 5000);
}

scenario('36: DELETE by definition: 202, waiting and later requests get 409', async () => {
  const s = await readToEnd(E, { table: 'items' });
  seen.add(s.handle);
  await waitFor('the consumer of the shape', () => consumerOf(s.handle), 5000);
  const live = shapeGet(E, {
    table: 'items', handle: s.handle, offset: s.offset, live: 'true', cursor: '',
  }, { timeout: 10_000 });
  await sleep(300);
  const t0 = Date.now();
  assert202(await del({ table: 'items' }), 'DELETE ?table=items');
  const l = await live;
  assert409(l, undefined, 'the live request waiting on the deleted shape');
  assert.ok(Date.now() - t0 < LONG_POLL_MS, `409 ${Date.now() - t0} ms after the DELETE`);

  assert409(await shapeGet(E, { table: 'items', handle: s.handle, offset: s.offset }), undefined,
    'catch-up with the deleted handle');
  assert409(await shapeGet(E, { table: 'items', handle: s.handle, offset: '0_0' }), undefined,
    'offset 0_0 with the deleted handle');
  const lv = await shapeGet(E, { table: 'items', handle: s.handle, offset: s.offset, live: 'true' });
  assert409(lv, undefined, 'live with the deleted handle');
  assert.ok(lv.ms < LONG_POLL_MS / 2, `answered at once (${lv.ms} ms)`);
  await assertGone(s.handle, 'after DELETE ?table=items');

  // offset=-1: a new incarnation with a new handle and the rows.
  const n = await readToEnd(E, { table: 'items' });
  assert.ok(!seen.has(n.handle), `new handle ${n.handle} after the DELETE`);
  seen.add(n.handle);
  assert.deepEqual(n.messages.filter(isChange).map((m) => m.value.id).sort(), ['1', '2']);
});

scenario('36: DELETE by handle alone, and by definition plus its handle', async () => {
  let s = await readToEnd(E, { table: 'items' });
  assert202(await del({ handle: s.handle }), 'DELETE ?handle=<h>');
  assert409(await shapeGet(E, { table: 'items', handle: s.handle, offset: s.offset }), undefined,
    'after DELETE by handle');
  await assertGone(s.handle, 'after DELETE ?handle');

  s = await readToEnd(E, { table: 'items' });
  assert.ok(!seen.has(s.handle), 'a new handle again');
  seen.add(s.handle);
  assert202(await del({ table: 'items', handle: s.handle }), 'DELETE ?table=items&handle=<h>');
  assert409(await shapeGet(E, { table: 'items', handle: s.handle, offset: s.offset }), undefined,
    'after DELETE by definition and handle');
});

scenario('36: DELETE errors: unknown → 404, nothing → 400, mismatch → 400', async () => {
  let r = await del({ handle: 'unknown' });
  assert.equal(r.status, 404, `DELETE ?handle=unknown: ${r.status} ${r.text}`);
  assert.deepEqual(r.body, { message: 'No existing shape found' });

  // A table that never had a shape.  (Not items: a request with a deleted
  // handle gets a 409 that creates the definition's next shape, §4.3.)
  await db.sql('CREATE TABLE lonely (id int PRIMARY KEY)');
  r = await del({ table: 'lonely' });
  assert.equal(r.status, 404, `DELETE ?table=lonely (no shape): ${r.status} ${r.text}`);
  assert.deepEqual(r.body, { message: 'No existing shape found' });

  r = await del({});
  assert.equal(r.status, 400, `DELETE without table or handle: ${r.status} ${r.text}`);
  assert.deepEqual(r.body, {
    message: 'Invalid request',
    errors: { handle: ["can't be blank when shape definition is missing"] },
  });

  // A definition with the handle of another shape.
  await db.sql('CREATE TABLE other (id int PRIMARY KEY)');
  const a = await readToEnd(E, { table: 'items' });
  const b = await readToEnd(E, { table: 'other' });
  r = await del({ table: 'items', handle: b.handle });
  assert.equal(r.status, 400, `definition of items, handle of other: ${r.status} ${r.text}`);
  assert.match(r.body?.message ?? '', /^The specified shape definition and handle do not match/,
    r.text);
  // Neither was deleted.
  for (const [t, x] of [['items', a], ['other', b]]) {
    const c = await shapeGet(E, { table: t, handle: x.handle, offset: x.offset });
    assert.equal(c.status, 200, `${t} still served: ${c.text}`);
    assertUpToDateOnly(c);
  }

  // A table that does not exist: a validation error, like the GET.
  r = await del({ table: 'nonexistent' });
  assert.equal(r.status, 400, `DELETE ?table=nonexistent: ${r.status} ${r.text}`);
  assert.ok(r.body?.errors?.table, r.text);
});

scenario('36: deleting one log mode keeps the other', async () => {
  const f = await readToEnd(E, { table: 'items' });
  const c = await readToEnd(E, { table: 'items', log: 'changes_only' });
  assert.notEqual(f.handle, c.handle);
  assert202(await del({ table: 'items', log: 'changes_only' }), 'DELETE ?table=items&log=changes_only');
  assert409(await shapeGet(E, { table: 'items', log: 'changes_only', handle: c.handle, offset: c.offset }),
    undefined, 'the deleted changes_only shape');
  const r = await shapeGet(E, { table: 'items', handle: f.handle, offset: f.offset });
  assert.equal(r.status, 200, `the full shape is still served: ${r.text}`);
  assertUpToDateOnly(r);
  // And it still gets changes.
  const p = shapeGet(E, { table: 'items', handle: f.handle, offset: f.offset, live: 'true', cursor: '' });
  await sleep(200);
  await db.sql("INSERT INTO items VALUES (3, 'three', true)");
  const l = await p;
  assert.equal(l.status, 200, l.text);
  assert.deepEqual(l.body.filter(isChange).map((m) => m.key), ['"public"."items"/"3"'], l.text);
});

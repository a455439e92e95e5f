// sse: live_sse (PROTOCOL.md §8.3, §5.3; §17 item 37).  An SSE request at
// the end of the log: text/event-stream, cache-control public,
// max-age=59, the live headers; each change is one `data: {...}` event
// followed by an up-to-date event carrying the batch's LSN; resuming from
// `<lsn>_0` works.  An idle stream (on a table nobody writes) gets a
// `: keep-alive` comment after 21 s and ends after 60 s: it is opened
// first and checked last, so the file takes about a minute.  Errors on
// SSE requests are ordinary JSON responses; a TRUNCATE ends the stream.

import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import {
  CACHE, assert409, cleanup, createDatabase, createItems, dumpLogs, isChange, isUpToDate,
  readToEnd, scenario, shapeGet, sleep, sseOpen, startElectricd,
} from './lib.mjs';

const KEY = (id) => `"public"."items"/"${id}"`;

let db;
let E;
let items;		// { handle, offset }
let idle;		// the idle SSE stream on table quiet
let idleOpenedAt;

before(async () => {
  db = await createDatabase('sse');
  await createItems(db);
  await db.sql('CREATE TABLE quiet (id int PRIMARY KEY)');
  E = await startElectricd({ databaseUrl: db.url, env: { ELECTRIC_LONG_POLL_TIMEOUT: '2000' } })
    .catch((err) => { dumpLogs('start-up failed'); throw err; });
  const q = await readToEnd(E, { table: 'quiet' });
  idleOpenedAt = Date.now();
  idle = await sseOpen(E, {
    table: 'quiet', handle: q.handle, offset: q.offset, live: 'true', live_sse: 'true', cursor: '',
  });
  items = await readToEnd(E, { table: 'items' });
});
after(cleanup);

const dataEvents = (s) => s.events.filter((e) => e.data !== undefined).map((e) => e.data);

function sseParams(offset, extra = {}) {
  return {
    table: 'items', handle: items.handle, offset, live: 'true', live_sse: 'true',
    experimental_live_sse: 'true', cursor: '', ...extra,
  };
}

function assertSseHeaders(s, offset, what) {
  assert.equal(s.status, 200, `${what}: ${s.status} ${s.text}`);
  assert.match(s.headers['content-type'] ?? '', /^text\/event-stream/, `${what}: content-type`);
  assert.equal(s.headers['cache-control'], CACHE.sse, `${what}: cache-control`);
  assert.equal(s.headers['electric-handle'], items.handle, `${what}: electric-handle`);
  assert.equal(s.headers['electric-offset'], offset, `${what}: electric-offset is the start offset`);
  assert.match(s.headers['electric-cursor'] ?? '', /^\d+$/, `${what}: electric-cursor`);
  assert.equal(s.headers['electric-schema'], undefined, `${what}: no schema on live responses`);
}

/* Waits for n change events followed by an up-to-date event; returns
 * { changes, upToDate }. */
async function batch(s, n, what) {
  await s.waitFor(`${what}: ${n} changes and an up-to-date`, (evs) => {
    const d = evs.filter((e) => e.data !== undefined).map((e) => e.data);
    return d.filter(isChange).length >= n && d.length > 0 && isUpToDate(d.at(-1));
  }, 10_000);
  const d = dataEvents(s);
  const changes = d.filter(isChange);
  assert.equal(changes.length, n, `${what}: ${JSON.stringify(d)}`);
  return { changes, upToDate: d.at(-1), all: d };
}

/* Catch-up requests from items.offset (moved along) until row id is in
 * the shape; returns its message. */
async function untilRow(id) {
  for (let i = 0; i < 50; i++) {
    const c = await shapeGet(E, { table: 'items', handle: items.handle, offset: items.offset });
    assert.equal(c.status, 200, c.text);
    items.offset = c.headers['electric-offset'];
    const m = c.body.find((x) => x.key === KEY(id));
    if (m) return m;
    await sleep(100);
  }
  throw new Error(`row ${id} did not reach the shape`);
}

scenario('37: SSE at the end of the log delivers each change as an event', async () => {
  const s = await sseOpen(E, sseParams(items.offset));
  assertSseHeaders(s, items.offset, 'SSE at the end');
  await sleep(300);
  assert.equal(dataEvents(s).length, 0, `nothing before a write: ${s.raw}`);

  await db.sql("INSERT INTO items VALUES (3, 'three', false)");
  let b = await batch(s, 1, 'one insert');
  assert.equal(b.changes[0].key, KEY(3));
  assert.equal(b.changes[0].headers.operation, 'insert');
  assert.match(b.changes[0].headers.lsn, /^\d+$/);
  assert.equal(b.changes[0].headers.last, true);
  assert.deepEqual(Object.keys(b.upToDate.headers).sort(), ['control', 'global_last_seen_lsn']);
  assert.equal(b.upToDate.headers.global_last_seen_lsn, b.changes[0].headers.lsn,
    'up-to-date carries the batch\'s LSN');
  // Wire framing: one JSON object per event, `data: <json>\n\n`.
  assert.match(s.raw, /(^|\n)data: ?\{"[^\n]*\}\n\n/, `SSE framing: ${JSON.stringify(s.raw)}`);
  assert.ok(!/data: ?\[/.test(s.raw), 'events are objects, not arrays');

  await db.sql("BEGIN; INSERT INTO items VALUES (4, 'four', true); INSERT INTO items VALUES (5, 'five', null); COMMIT");
  await s.waitFor('the second batch', (evs) => evs.filter((e) => e.data && isChange(e.data)).length >= 3 &&
    isUpToDate(evs.filter((e) => e.data).at(-1).data), 10_000);
  const d = dataEvents(s);
  const kinds = d.map((m) => (isChange(m) ? m.key : m.headers.control));
  assert.deepEqual(kinds, [KEY(3), 'up-to-date', KEY(4), KEY(5), 'up-to-date'], JSON.stringify(d));
  const [, , m4, m5, u2] = d;
  assert.equal(m4.headers.lsn, m5.headers.lsn);
  assert.ok(m5.headers.op_position > m4.headers.op_position);
  assert.equal(m4.headers.last, undefined);
  assert.equal(m5.headers.last, true);
  assert.equal(u2.headers.global_last_seen_lsn, m5.headers.lsn);
  assert.equal(s.endedAt, null, 'the stream stays open between batches');
  s.close();
  items.offset = `${m5.headers.lsn}_${m5.headers.op_position}`;
});

scenario('37: resuming from <lsn>_0 works', async () => {
  // A two-insert transaction, located with plain catch-up requests.
  await db.sql("BEGIN; INSERT INTO items VALUES (7, 'seven', true); INSERT INTO items VALUES (8, 'eight', null); COMMIT");
  const m8 = await untilRow(8);
  const lsn = m8.headers.lsn;

  // From <lsn>_0 (what the client sends after an SSE up-to-date): the rest
  // of that transaction comes at once, nothing before it.
  const r = await sseOpen(E, sseParams(`${lsn}_0`));
  assert.equal(r.status, 200, `offset=${lsn}_0: ${r.status} ${r.text}`);
  await r.waitFor('the remainder of the transaction', (evs) =>
    evs.some((e) => e.data && isUpToDate(e.data)), 5000);
  const keys = dataEvents(r).filter(isChange).map((m) => m.key);
  assert.ok(keys.includes(KEY(8)), `row 8 re-sent: ${keys}`);
  assert.deepEqual(keys.filter((k) => k !== KEY(7) && k !== KEY(8)), [], `nothing before the offset: ${keys}`);
  r.close();

  // From the end: waits, then gets the next change.
  const s = await sseOpen(E, sseParams(items.offset));
  assertSseHeaders(s, items.offset, 'SSE from the last offset');
  await sleep(300);
  await db.sql("INSERT INTO items VALUES (6, 'six', true)");
  const b = await batch(s, 1, 'insert after resuming');
  assert.equal(b.changes[0].key, KEY(6));
  s.close();
  items.offset = `${b.changes[0].headers.lsn}_${b.changes[0].headers.op_position}`;

  // experimental_live_sse alone (older clients) also selects SSE.
  const x = await sseOpen(E, {
    table: 'items', handle: items.handle, offset: items.offset, live: 'true', experimental_live_sse: 'true',
  });
  assert.match(x.headers['content-type'] ?? '', /^text\/event-stream/, `experimental_live_sse: ${x.text}`);
  x.close();
});

scenario('37: streams of one shape share a wake: each gets exactly its own events', async () => {
  // Three streams at the same offset (one change frames once for all of
  // them) and one a transaction behind (its own backlog first).
  const before = items.offset;
  await db.sql("INSERT INTO items VALUES (20, 'twenty', true)");
  await untilRow(20);
  const at = items.offset;
  const same = await Promise.all([1, 2, 3].map(() => sseOpen(E, sseParams(at))));
  const behind = await sseOpen(E, sseParams(before));
  await behind.waitFor('the backlog', (evs) => evs.some((e) => e.data && isUpToDate(e.data)), 5000);
  await sleep(300);
  await db.sql("BEGIN; INSERT INTO items VALUES (21, 'a', true); INSERT INTO items VALUES (22, 'b', false); COMMIT");
  await db.sql("INSERT INTO items VALUES (23, 'c', null)");
  for (const [s, want] of [...same.map((x) => [x, [21, 22, 23]]), [behind, [20, 21, 22, 23]]]) {
    await s.waitFor('every change', (evs) => evs.filter((e) => e.data && isChange(e.data)).length >= want.length, 10_000);
    await sleep(200);
    const keys = dataEvents(s).filter(isChange).map((m) => m.key);
    assert.deepEqual(keys, want.map(KEY), `each change once, in order: ${keys}`);
    s.close();
  }
  const last = dataEvents(same[0]).filter(isChange).at(-1);
  items.offset = `${last.headers.lsn}_${last.headers.op_position}`;
});

scenario('37: errors on SSE requests are plain JSON; TRUNCATE ends the stream', async () => {
  const bad = await sseOpen(E, sseParams(items.offset, { handle: 'nonexistent' }));
  assert409(bad, items.handle, 'SSE with an unknown handle');
  const v = await sseOpen(E, { table: 'items', offset: '-1', live_sse: 'true' });
  assert.equal(v.status, 400, v.text);
  assert.deepEqual(v.body, { message: 'Invalid request',
    errors: { live_sse: ["can't be true unless live is also true"] } });

  const s = await sseOpen(E, sseParams(items.offset));
  assertSseHeaders(s, items.offset, 'SSE before TRUNCATE');
  await sleep(300);
  await db.sql('TRUNCATE items');
  const t0 = Date.now();
  let timer;
  await Promise.race([s.ended, new Promise((r) => { timer = setTimeout(r, 5000); })]);
  clearTimeout(timer);
  assert.notEqual(s.endedAt, null, `the stream ends after a TRUNCATE (waited ${Date.now() - t0} ms)`);
  assert.ok(!dataEvents(s).some((m) => m.headers?.control === 'must-refetch'),
    'no must-refetch event on the stream');
  const n = await shapeGet(E, sseParams(items.offset));
  assert409(n, undefined, 'the next request');
});

scenario('37: an idle stream gets keep-alives after 21 s and ends after 60 s', { timeout: 90_000 }, async () => {
  assert.equal(idle.status, 200, idle.text);
  assert.match(idle.headers['content-type'] ?? '', /^text\/event-stream/);
  assert.equal(idle.headers['cache-control'], CACHE.sse);
  let timer;
  await Promise.race([idle.ended,
    new Promise((r) => { timer = setTimeout(r, Math.max(0, idleOpenedAt + 75_000 - Date.now())); })]);
  clearTimeout(timer);
  assert.notEqual(idle.endedAt, null, 'the stream ended within 75 s');
  assert.ok(idle.endedAt >= 58_000 && idle.endedAt <= 66_000, `ended after ${idle.endedAt} ms (want ≈ 60 s)`);
  assert.deepEqual(dataEvents(idle), [], `no data on an idle stream: ${idle.raw}`);
  const ka = idle.events.filter((e) => e.comment !== undefined);
  assert.ok(ka.length >= 1, `keep-alive comments: ${JSON.stringify(idle.raw)}`);
  assert.ok(ka.every((e) => e.comment === 'keep-alive'), JSON.stringify(ka));
  assert.ok(ka[0].t >= 19_000 && ka[0].t <= 25_000, `first keep-alive after ${ka[0].t} ms (want ≈ 21 s)`);
  assert.match(idle.raw, /(^|\n): keep-alive\n\n/, 'the comment is `: keep-alive\\n\\n`');
  if (ka.length > 1) {
    assert.ok(ka[1].t - ka[0].t >= 19_000, `keep-alives ${ka[1].t - ka[0].t} ms apart`);
  }
});

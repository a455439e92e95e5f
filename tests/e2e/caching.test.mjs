// caching: the ETag / If-None-Match rules and the cursor (PROTOCOL.md
// §5.2-§5.4, §8.2) beyond what http_basic covers: the exact catch-up
// ETag, If-None-Match lists, a 304 for offset=-1 with the week-long
// cache-control, a live request whose cached answer is still current
// revalidating at once (304 with the live headers), the cursor jump when
// the client's cursor is ahead, HEAD of an error.  One electricd with a
// 2 s long-poll timeout, table items.

import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import {
  CACHE, cleanup, createDatabase, createItems, dumpLogs, isChange, readToEnd, scenario,
  shapeGet, sleep, startElectricd,
} from './lib.mjs';

const LONG_POLL_MS = 2000;

let db;
let E;
let s;			// items read to the end: { handle, offset }

before(async () => {
  db = await createDatabase('caching');
  await createItems(db);
  E = await startElectricd({ databaseUrl: db.url, env: { ELECTRIC_LONG_POLL_TIMEOUT: String(LONG_POLL_MS) } })
    .catch((err) => { dumpLogs('start-up failed'); throw err; });
  s = await readToEnd(E, { table: 'items' });
});
after(cleanup);

const unq = (etag) => (etag ?? '').replace(/^"|"$/g, '');

scenario('5.4: offset=-1 revalidates to a 304 with the same long-lived headers', async () => {
  const r = await shapeGet(E, { table: 'items', offset: '-1' });
  assert.equal(r.headers.etag, `"${s.handle}:-1:0_0"`);
  const n = await shapeGet(E, { table: 'items', offset: '-1' }, { headers: { 'if-none-match': r.headers.etag } });
  assert.equal(n.status, 304, n.text);
  assert.equal(n.text, '');
  for (const h of ['etag', 'electric-handle', 'electric-offset', 'cache-control']) {
    assert.equal(n.headers[h], r.headers[h], `304 keeps ${h}`);
  }
  assert.equal(n.headers['cache-control'], CACHE.minusOne);
  assert.equal(n.headers['electric-schema'], undefined, 'no schema on a 304');
});

scenario('5.4: If-None-Match lists, quoting and whitespace', async () => {
  const params = { table: 'items', offset: s.offset, handle: s.handle };
  const r = await shapeGet(E, params);
  assert.equal(r.status, 200, r.text);
  const e = r.headers.etag;
  assert.equal(unq(e), `${s.handle}:${s.offset}:${r.headers['electric-offset']}`,
    `catch-up etag is "<handle>:<request offset>:<response offset>": ${e}`);
  for (const inm of [`"nope", ${e}`, `${e},"nope"`, `  ${e}  `, unq(e), `"a","b" , ${e}`]) {
    const n = await shapeGet(E, params, { headers: { 'if-none-match': inm } });
    assert.equal(n.status, 304, `If-None-Match: ${inm} → ${n.status}`);
  }
  for (const inm of ['"nope"', `"${unq(e)}x"`, '*x', `"${s.handle}:-1:0_0"`]) {
    const n = await shapeGet(E, params, { headers: { 'if-none-match': inm } });
    assert.equal(n.status, 200, `If-None-Match: ${inm} → ${n.status}`);
  }
});

scenario('5.4: a live request whose cached answer is still current revalidates at once', async () => {
  const live = { table: 'items', offset: s.offset, handle: s.handle, live: 'true', cursor: '' };
  const p = shapeGet(E, live);
  await sleep(200);
  await db.sql("INSERT INTO items VALUES (3, 'three', false)");
  const r = await p;
  assert.equal(r.status, 200, r.text);
  assert.ok(r.body.some(isChange), r.text);
  const e = r.headers.etag;
  assert.equal(unq(e), `${s.handle}:${s.offset}:${r.headers['electric-offset']}`, `live data etag: ${e}`);
  // The same URL again with the cached etag: 304 at once, not a hold.
  const n = await shapeGet(E, live, { headers: { 'if-none-match': e } });
  assert.equal(n.status, 304, `${n.status} ${n.text}`);
  assert.ok(n.ms < LONG_POLL_MS / 2, `revalidated in ${n.ms} ms`);
  assert.equal(n.headers['cache-control'], CACHE.live);
  assert.match(n.headers['electric-cursor'] ?? '', /^\d+$/, 'electric-cursor on a live 304');
  assert.equal(n.headers['electric-offset'], r.headers['electric-offset']);
  assert.equal(n.headers['electric-handle'], s.handle);
  s.offset = r.headers['electric-offset'];

  // An empty live timeout has a unique etag: it never revalidates.
  const t = await shapeGet(E, { ...live, offset: s.offset });
  assert.equal(t.status, 200, t.text);
  assert.equal(t.headers['electric-has-data'], 'false');
  const t2 = await shapeGet(E, { ...live, offset: s.offset }, { headers: { 'if-none-match': t.headers.etag } });
  assert.equal(t2.status, 200, `a live timeout's etag does not revalidate: ${t2.status}`);
  assert.ok(t2.ms >= LONG_POLL_MS - 300, `held again (${t2.ms} ms)`);
  assert.notEqual(t2.headers.etag, t.headers.etag);
});

scenario('8.2: a cursor ahead of the clock gets a later, random cursor', async () => {
  const base = { table: 'items', offset: s.offset, handle: s.handle, live: 'true' };
  const r = await shapeGet(E, { ...base, cursor: '' });
  const next = Number(r.headers['electric-cursor']);
  assert.ok(Number.isInteger(next) && next % (LONG_POLL_MS / 1000) === 0, `cursor ${next}`);
  const ahead = next + 100_000;
  const a = await shapeGet(E, { ...base, cursor: String(ahead) });
  assert.equal(a.status, 200, a.text);
  const c = Number(a.headers['electric-cursor']);
  assert.ok(c > ahead && c <= ahead + 3600, `cursor ${c} for a request cursor ${ahead} (want ${ahead}+1..3600)`);
  // Garbage cursors count as 0.
  const g = await shapeGet(E, { ...base, cursor: 'garbage' });
  assert.equal(g.status, 200, g.text);
  assert.ok(Math.abs(Number(g.headers['electric-cursor']) - next) <= 10, `cursor ${g.headers['electric-cursor']}`);
});

scenario('HEAD of an error: the status and headers, no body', async () => {
  const h = await shapeGet(E, { table: 'items' }, { method: 'HEAD' });
  assert.equal(h.status, 400);
  assert.equal(h.text, '');
  assert.equal(h.headers['cache-control'], 'no-store');
  const m = await shapeGet(E, { table: 'items', offset: '0_0', handle: 'nonexistent' }, { method: 'HEAD' });
  assert.equal(m.status, 409);
  assert.equal(m.text, '');
  assert.equal(m.headers['electric-handle'], s.handle);
});

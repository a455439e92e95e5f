// suspend: consumer suspension (issue 6) with ELECTRIC_SHAPE_SUSPEND_TIMEOUT=2.
// An idle shape's consumer exits and the shape is "suspended"; an INSERT
// for it wakes it and a follower sees the row exactly once; a live request
// wakes it and keeps it up while it waits; electricctl suspend/resume; a
// restarted electricd does not start suspended shapes; and shapes that
// suspend and wake again and again under a concurrent writer lose nothing
// and duplicate nothing.

import assert from 'node:assert/strict';
import { after } from 'node:test';
import {
  changesFor, cleanup, createDatabase, createItems, ctl, follow, isChange,
  readToEnd, scenario, shapeGet, sleep, startElectricd, waitFor,
} from './lib.mjs';

after(cleanup);

const ENV = { ELECTRIC_SHAPE_SUSPEND_TIMEOUT: '2', ELECTRIC_LONG_POLL_TIMEOUT: '20000' };

function consumerPid(E, handle) {
  return E.tree().find((p) => p.role === 'consumer' && p.shape === handle)?.pid ?? null;
}

function shapeInfo(E, handle) {
  const r = ctl(E, ['shape', handle]);
  assert.equal(r.code, 0, `${r.cmd}: ${r.stderr}${r.stdout}`);
  return r.json;
}

async function waitSuspended(E, handle, ms = 15_000) {
  await waitFor(`shape ${handle} to suspend`, () =>
    consumerPid(E, handle) === null && shapeInfo(E, handle).state === 'suspended', ms);
}

async function waitRunning(E, handle, ms = 15_000) {
  return waitFor(`the consumer of ${handle}`, () => consumerPid(E, handle), ms);
}

/* The id -> title of every change in messages (the last one wins). */
function fold(messages) {
  const m = new Map();
  for (const x of messages.filter(isChange)) {
    if (x.headers.operation === 'delete') m.delete(x.value.id);
    else m.set(x.value.id, { ...(m.get(x.value.id) || {}), ...x.value });
  }
  return m;
}

scenario('idle shapes suspend; a change, a live request and resume wake them', async () => {
  const db = await createDatabase('suspend');
  await createItems(db);
  const E = await startElectricd({ databaseUrl: db.url, env: ENV });

  const a = await readToEnd(E, { table: 'items', where: 'id < 100' });
  const b = await readToEnd(E, { table: 'items', where: 'id >= 100' });
  await waitSuspended(E, a.handle);
  await waitSuspended(E, b.handle);
  const sh = ctl(E, ['shapes']);
  assert.equal(sh.code, 0, sh.stderr);
  for (const s of sh.json.shapes) {
    assert.equal(s.state, 'suspended', JSON.stringify(s));
    assert.equal(s.consumer_pid, null, JSON.stringify(s));
  }
  // Files of a suspended shape are served as they are.
  let r = await shapeGet(E, { table: 'items', where: 'id < 100', offset: '-1' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers['electric-handle'], a.handle);
  assert.equal(r.body.filter(isChange).length, 2);
  assert.equal(consumerPid(E, a.handle), null, 'a non-live read does not wake the shape');

  // An INSERT for shape a wakes it (only it); a follower from the offset
  // before sees the row exactly once.
  await db.sql("INSERT INTO items VALUES (10, 'ten', false)");
  await waitRunning(E, a.handle);
  const f = follow(E, { handle: a.handle, offset: a.offset, extra: { where: 'id < 100' } });
  await waitFor('row 10', () => changesFor(f, 10).length > 0, 15_000);
  assert.equal(consumerPid(E, b.handle), null, 'the other shape stays suspended');

  // While a live request waits on it, the shape stays up.
  await sleep(5000);
  assert.ok(consumerPid(E, a.handle), 'a shape with a waiting reader does not suspend');
  await db.sql("INSERT INTO items VALUES (11, 'eleven', true)");
  await waitFor('row 11', () => changesFor(f, 11).length > 0, 15_000);
  await f.stop();
  assert.deepEqual(f.errors, []);
  assert.equal(changesFor(f, 10).length, 1, JSON.stringify(f.changes));
  assert.equal(changesFor(f, 11).length, 1, JSON.stringify(f.changes));
  assert.equal(f.changes.length, 2, JSON.stringify(f.changes));

  // A live request wakes a suspended shape.
  await waitSuspended(E, a.handle);
  const live = shapeGet(E, { table: 'items', where: 'id < 100', handle: a.handle,
    offset: f.offset, live: 'true' });
  await waitRunning(E, a.handle, 5000);
  // The consumer records 'active' once it is up, a moment after its fork.
  await waitFor('state active', () => shapeInfo(E, a.handle).state === 'active', 5000);
  await db.sql("INSERT INTO items VALUES (12, 'twelve', null)");
  r = await live;
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body.filter(isChange).map((m) => m.value.id), ['12']);

  // electricctl suspend / resume.
  let c = ctl(E, ['suspend', a.handle]);
  assert.equal(c.code, 0, `${c.cmd}: ${c.stderr}${c.stdout}`);
  assert.equal(c.json.state, 'suspended', c.stdout);
  assert.equal(consumerPid(E, a.handle), null);
  c = ctl(E, ['suspend', a.handle], { json: false });
  assert.equal(c.code, 0, c.stderr);
  assert.match(c.stdout, /suspended/);
  c = ctl(E, ['resu', b.handle]);
  assert.equal(c.code, 0, `${c.cmd}: ${c.stderr}${c.stdout}`);
  assert.equal(c.json.was, 'suspended');
  await waitRunning(E, b.handle, 5000);
  await waitFor('b active in meta.db', () => shapeInfo(E, b.handle).state === 'active', 5000);
  c = ctl(E, ['resume', b.handle]);
  assert.equal(c.json.running, true, c.stdout);
  for (const bad of [['suspend', 'no-such-shape'], ['resume', 'no-such-shape'],
    ['suspend', '../x']]) {
    c = ctl(E, bad);
    assert.equal(c.code, 1, `${c.cmd}: ${c.stdout}${c.stderr}`);
  }
  await waitSuspended(E, b.handle);

  // A restart does not start suspended shapes (timeout 0: nothing
  // suspends by itself now), and a change still wakes them.
  await E.stop();
  E.env.ELECTRIC_SHAPE_SUSPEND_TIMEOUT = '0';
  await E.restart();
  const c2 = await readToEnd(E, { table: 'items', where: 'id = 2' });
  await waitRunning(E, c2.handle);
  await sleep(1500);
  assert.equal(consumerPid(E, a.handle), null, 'suspended shape a not started');
  assert.equal(consumerPid(E, b.handle), null, 'suspended shape b not started');
  assert.equal(shapeInfo(E, a.handle).state, 'suspended');
  await db.sql("INSERT INTO items VALUES (13, 'thirteen', false)");
  await waitRunning(E, a.handle);
  const g = follow(E, { handle: a.handle, offset: f.offset, extra: { where: 'id < 100' } });
  await waitFor('rows 12 and 13', () => changesFor(g, 13).length > 0, 15_000);
  await sleep(1000);
  await g.stop();
  assert.deepEqual(g.changes.map((m) => m.value.id), ['12', '13']);
  assert.equal(consumerPid(E, b.handle), null, 'b still suspended');
  await E.stop();
});

scenario('no loss or duplicate while shapes suspend and wake under a writer', { timeout: 150_000 }, async () => {
  const N = 12;
  const db = await createDatabase('suspendw');
  await db.sql('CREATE TABLE items (id int PRIMARY KEY, title text, done bool)');
  for (let k = 1; k <= N; k++) await db.sql('INSERT INTO items VALUES ($1, $2, false)', [k, 'v0']);
  const E = await startElectricd({ databaseUrl: db.url,
    env: { ...ENV, ELECTRIC_SHAPE_SUSPEND_TIMEOUT: '1' } });
  const shapes = [];
  for (let k = 1; k <= N; k++) {
    const s = await readToEnd(E, { table: 'items', where: `id = ${k}` });
    shapes.push({ k, ...s });
  }
  // Bursts on a few ids, then silence long enough for suspensions.
  const want = new Map();
  let seq = 0;
  let suspensions = 0;
  for (let round = 0; round < 8; round++) {
    const ids = new Set();
    for (let i = 0; i < 4; i++) ids.add(1 + Math.floor(Math.random() * N));
    for (const k of ids) {
      for (let j = 0; j < 3; j++) {
        const v = `v${++seq}`;
        await db.sql('UPDATE items SET title = $1 WHERE id = $2', [v, k]);
        want.set(k, [...(want.get(k) || []), v]);
      }
    }
    await db.sql(`UPDATE items SET title = 'm${++seq}' WHERE id = ${N + 1}`); // none
    await sleep(round % 2 ? 2500 : 300);
    suspensions += shapes.filter((s) => consumerPid(E, s.handle) === null).length;
  }
  assert.ok(suspensions > 0, 'some shapes suspended during the run');
  for (const s of shapes) {
    const list = want.get(s.k) || [];
    await waitFor(`shape id = ${s.k} to hold ${list.length} updates`, async () => {
      const r = await shapeGet(E, { table: 'items', where: `id = ${s.k}`, handle: s.handle,
        offset: s.offset });
      if (r.status !== 200) return false;
      const got = r.body.filter(isChange).map((m) => m.value.title);
      if (got.length < list.length) return false;
      assert.deepEqual(got, list, `shape id = ${s.k}: every update once, in order`);
      return true;
    }, 30_000, 250);
  }
  const rows = await db.sql('SELECT id, title FROM items ORDER BY id');
  for (const s of shapes) {
    const all = await readToEnd(E, { table: 'items', where: `id = ${s.k}` });
    assert.equal(all.handle, s.handle);
    const m = fold(all.messages);
    assert.equal(m.get(String(s.k))?.title, rows.find((x) => x.id === s.k).title);
  }
  await E.stop();
});

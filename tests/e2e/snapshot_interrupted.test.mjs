// snapshot_interrupted: a consumer SIGKILLed in the middle of its
// snapshot.  Chunks are served as soon as they are complete, while the
// snapshot goes on, so a snapshot cut short after a chunk was complete is
// never redone under the same handle (the client would stitch two
// different snapshots together): the shape is dropped, the client holding
// chunk 0 gets a 409 naming a new handle, and the new shape's snapshot
// equals Postgres.  Cut short before any chunk was complete, nothing was
// served: the snapshot is redone under the same handle.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after } from 'node:test';
import {
  assert409, cleanup, createDatabase, isChange, readToEnd, scenario, shapeGet, sleep,
  startElectricd, waitFor,
} from './lib.mjs';

after(cleanup);

const ROWS = 60_000;

/* chunkBytes: small, so that chunk 0 is served while the snapshot goes
 * on; or large, so that writing chunk 0 lasts long enough (tens of ms) to
 * be caught by the 2 ms steps of freezeSnapshot. */
async function setup(chunkBytes) {
  const db = await createDatabase('snapint');
  await db.sql('CREATE TABLE big (id int PRIMARY KEY, v text)');
  await db.sql(`INSERT INTO big SELECT g, repeat(md5(g::text), 3) FROM generate_series(1, ${ROWS}) g`);
  const E = await startElectricd({
    databaseUrl: db.url,
    env: { ELECTRIC_SHAPE_CHUNK_BYTES_THRESHOLD: String(chunkBytes) },
  });
  return { db, E };
}

const consumers = (E) => E.tree().filter((p) => p.role === 'consumer');

/* Starts a shape request and freezes its consumer (SIGSTOP) at the point
 * where `ready(dir, first)` holds, stepping it with short SIGCONT pulses.
 * Returns { pid, dir, first } with first the offset=-1 request (its
 * answer, once there, in first.answered). */
async function freezeSnapshot(E, ready) {
  const first = shapeGet(E, { table: 'big', offset: '-1' });
  first.then((r) => { first.answered = r; }, () => {});
  const shapes = path.join(E.storageDir, 'shapes');
  let pid = null;
  await waitFor('the consumer', () => {
    const c = consumers(E);
    if (c.length === 0) return false;
    pid = c[0].pid;
    process.kill(pid, 'SIGSTOP');
    return true;
  }, 20_000, 2);
  let dir = null;
  for (let i = 0; i < 20_000; i++) {
    const names = fs.existsSync(shapes) ? fs.readdirSync(shapes) : [];
    if (names.length === 1) dir = path.join(shapes, names[0]);
    if (dir && ready(dir, first)) break;
    process.kill(pid, 'SIGCONT');
    await sleep(2);
    process.kill(pid, 'SIGSTOP');
    await sleep(3);
  }
  assert.ok(dir && ready(dir, first), 'the snapshot never reached the wanted point');
  assert.ok(!fs.existsSync(path.join(dir, 'snapshot.done')),
    'the snapshot finished within one 2 ms pulse');
  return { pid, dir, first };
}

async function expectEqualsPostgres(E, db) {
  const all = await readToEnd(E, { table: 'big' }, { max: 2000 });
  const ids = all.messages.filter(isChange).map((m) => Number(m.value.id));
  assert.equal(ids.length, ROWS, 'rows in the snapshot');
  assert.equal(new Set(ids).size, ROWS, 'no row twice');
  const [{ n }] = await db.sql('SELECT count(*)::int AS n FROM big');
  assert.equal(ids.length, n);
  return all.handle;
}

scenario('killed after chunk 0 was served: 409 and a new handle, never a mixed snapshot', async () => {
  const { db, E } = await setup(65536);
  // Step until chunk 0 was answered (http learns of it from the consumer).
  const { pid, first } = await freezeSnapshot(E,
    (d, req) => req.answered !== undefined);
  const r0 = first.answered;
  assert.equal(r0.status, 200, r0.text);
  const handle = r0.headers['electric-handle'];
  assert.equal(r0.headers['electric-offset'], '0_0', 'chunk 0 was served');
  assert.ok(r0.body.filter(isChange).length > 0, 'chunk 0 has rows');
  assert.equal(r0.headers['electric-up-to-date'], undefined, 'not up-to-date');
  process.kill(pid, 'SIGKILL');

  // The client goes on from chunk 0: the shape must be gone.
  let r;
  await waitFor('a 409 for the interrupted snapshot', async () => {
    r = await shapeGet(E, { table: 'big', handle, offset: '0_0' });
    return r.status !== 200;
  }, 30_000, 200);
  const newHandle = assert409(r);
  assert.notEqual(newHandle, handle);
  const h = await expectEqualsPostgres(E, db);
  assert.notEqual(h, handle, 'a new handle');
  assert.match(E.log(), /snapshot interrupted after a chunk was complete/);
});

scenario('killed before any chunk was complete: redone under the same handle', async () => {
  const { db, E } = await setup(4 * 1024 * 1024);
  const { pid, dir, first } = await freezeSnapshot(E,
    (d) => fs.existsSync(path.join(d, 'snapshot.0.part')));
  assert.ok(!fs.existsSync(path.join(dir, 'snapshot.0')));
  assert.equal(first.answered, undefined, 'nothing answered yet');
  process.kill(pid, 'SIGKILL');
  const r0 = await first;
  assert.equal(r0.status, 200, r0.text);
  const handle = r0.headers['electric-handle'];
  assert.equal(path.basename(dir), handle, 'the same shape directory');
  const h = await expectEqualsPostgres(E, db);
  assert.equal(h, handle, 'the handle survived');
});

// snapshot_interrupted: a consumer SIGKILLed in the middle of its
// snapshot, after some chunk files were complete.  No reader is given a
// chunk before the snapshot is finished (offset=-1 waits for
// snapshot.done), so the consumer redoes the snapshot under the same
// handle: the waiting client's first response comes from the new snapshot
// and the whole shape equals Postgres, every row exactly once.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after } from 'node:test';
import {
  cleanup, createDatabase, isChange, readToEnd, scenario, shapeGet, sleep,
  startElectricd, waitFor,
} from './lib.mjs';

after(cleanup);

const ROWS = 60_000;

async function setup() {
  const db = await createDatabase('snapint');
  await db.sql('CREATE TABLE big (id int PRIMARY KEY, v text)');
  await db.sql(`INSERT INTO big SELECT g, repeat(md5(g::text), 3) FROM generate_series(1, ${ROWS}) g`);
  const E = await startElectricd({
    databaseUrl: db.url,
    env: { ELECTRIC_SHAPE_CHUNK_BYTES_THRESHOLD: '262144' },
  });
  return { db, E };
}

const consumers = (E) => E.tree().filter((p) => p.role === 'consumer');

/* Starts a shape request and freezes its consumer (SIGSTOP) at the point
 * where `ready(dir, first)` holds, stepping it with short SIGCONT pulses.  Returns
 * { pid, dir, first } with first the pending offset=-1 request. */
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

async function expectEqualsPostgres(E, db, handle) {
  const all = await readToEnd(E, { table: 'big' }, { max: 2000 });
  if (handle) assert.notEqual(all.handle, handle, 'a new handle');
  const ids = all.messages.filter(isChange).map((m) => Number(m.value.id));
  assert.equal(ids.length, ROWS, 'rows in the new snapshot');
  assert.equal(new Set(ids).size, ROWS, 'no row twice');
  const [{ n }] = await db.sql('SELECT count(*)::int AS n FROM big');
  assert.equal(ids.length, n);
  return all.handle;
}

scenario('killed after chunks were complete: redone under the same handle, nothing partial served', async () => {
  const { db, E } = await setup();
  const { pid, dir, first } = await freezeSnapshot(E,
    (d) => fs.existsSync(path.join(d, 'snapshot.1')));
  assert.equal(first.answered, undefined, 'no response before snapshot.done');
  process.kill(pid, 'SIGKILL');
  const r0 = await first;
  assert.equal(r0.status, 200, r0.text);
  const handle = r0.headers['electric-handle'];
  assert.equal(path.basename(dir), handle, 'the same shape directory');
  const h = await expectEqualsPostgres(E, db);
  assert.equal(h, handle, 'the handle survived');
});

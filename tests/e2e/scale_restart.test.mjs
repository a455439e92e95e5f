// scale_restart: a restart with 2,000 shapes on disk (issues 5, 6, 7 at a
// small size).  Ten shapes are registered over HTTP and suspend; with
// electricd stopped, meta.db and the shape directories are grown to 2,000
// suspended shapes "items WHERE id = k" (copies of the shape "id = 1" with
// k substituted, as bench/shapes_scale.mjs --clone does: registering them
// one by one would take minutes).  After the restart: /v1/health is active
// quickly, no consumer is started (every shape is suspended), every shape
// is served 200 under its own handle, no snapshot file was rewritten, and
// a change to a cloned shape's row wakes it and reaches its long-poll
// exactly once (the lazily compiled routing index knows the clones).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after } from 'node:test';
import {
  cleanup, createDatabase, isChange, readToEnd, scenario, shapeGet, sleep,
  startElectricd, waitFor,
} from './lib.mjs';
import { cloneShapes, haveSqlite } from './shapeclone.mjs';

after(cleanup);

const N = 2000;
const REAL = 10;
const ENV = { ELECTRIC_SHAPE_SUSPEND_TIMEOUT: '1', ELECTRIC_LONG_POLL_TIMEOUT: '20000' };
const HAVE_SQLITE = haveSqlite();

function consumers(E) {
  return E.tree().filter((p) => p.role === 'consumer');
}


function snapStamps(E, shapes) {
  const m = new Map();
  for (const s of shapes) {
    const dir = path.join(E.storageDir, 'shapes', s.handle);
    m.set(s.handle, fs.readdirSync(dir).filter((f) => f.startsWith('snapshot')).sort()
      .map((f) => { const st = fs.statSync(path.join(dir, f)); return `${f}:${st.ino}:${st.mtimeMs}`; })
      .join(','));
  }
  return m;
}

scenario(`restart with ${N} shapes on disk: fast, nothing re-snapshotted, all served`,
  { timeout: 90_000 }, async () => {
    assert.ok(HAVE_SQLITE, 'the sqlite3 command is missing (scripts/deps.sh installs it)');
    const db = await createDatabase('scale');
    await db.sql('CREATE TABLE items (id int PRIMARY KEY, title text, done bool)');
    // Every row first, so that no INSERT waits in the slot for the clones.
    await db.sql(`INSERT INTO items SELECT g, 'v' || g, false FROM generate_series(1, ${N}) g`);
    const E = await startElectricd({ databaseUrl: db.url, env: ENV });

    const shapes = [];
    for (let k = 1; k <= REAL; k++) {
      const r = await readToEnd(E, { table: 'items', where: `id = ${k}` });
      assert.equal(r.messages.filter(isChange).length, 1);
      shapes.push({ k, handle: r.handle });
    }
    await waitFor('every consumer to suspend', () => consumers(E).length === 0, 20_000);
    await E.stop();
    shapes.push(...cloneShapes(E.storageDir, REAL + 1, N));
    assert.equal(shapes.length, N);
    const before = snapStamps(E, shapes);

    const t0 = Date.now();
    await E.restart();
    const activeMs = Date.now() - t0;
    console.log(`# health active ${activeMs} ms after the restart with ${N} shapes`);
    assert.ok(activeMs < 15_000, `health active after ${activeMs} ms`);
    assert.deepEqual(consumers(E), [], 'no consumer started for suspended shapes');

    // Every shape, under its own handle, from the start of its log.
    let next = 0;
    const bad = [];
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (next < shapes.length) {
        const s = shapes[next++];
        const r = await shapeGet(E, { table: 'items', where: `id = ${s.k}`, handle: s.handle,
          offset: '0_0' });
        if (r.status !== 200 || r.headers['electric-handle'] !== s.handle) {
          bad.push(`id = ${s.k}: ${r.status} ${r.text.slice(0, 100)}`);
        }
      }
    }));
    console.log(`# ${N} shapes served ${Date.now() - t0} ms after the restart`);
    assert.deepEqual(bad, [], 'every shape served 200 with its handle');
    const afterStamps = snapStamps(E, shapes);
    const redone = shapes.filter((s) => before.get(s.handle) !== afterStamps.get(s.handle));
    assert.deepEqual(redone.map((s) => s.k), [], 'no snapshot rewritten');
    assert.ok(consumers(E).length <= 2, 'requests without live do not wake shapes');

    // A change to a clone's row reaches its long-poll once.
    const s = shapes[N - 7];
    let r = await shapeGet(E, { table: 'items', where: `id = ${s.k}`, handle: s.handle, offset: '0_0' });
    const live = shapeGet(E, { table: 'items', where: `id = ${s.k}`, handle: s.handle,
      offset: r.headers['electric-offset'], live: 'true' });
    await sleep(300);
    await db.sql("UPDATE items SET title = 'changed' WHERE id = $1", [s.k]);
    r = await live;
    assert.equal(r.status, 200, r.text);
    const ch = r.body.filter(isChange);
    assert.equal(ch.length, 1, r.text);
    assert.equal(ch[0].value.title, 'changed');
    assert.equal(ch[0].headers.operation, 'update');
    await E.stop();
  });

// storage_ro: the shapes directory turns read-only while electricd runs
// (a read-only bind mount over it: files already open stay writable, as
// a remount of a busy file system is refused, but nothing new can be
// created).  A new shape cannot create its directory: its consumer logs
// a clear error naming the path and errno, stays up in "storage_error"
// (no restarts, no escalation) and retries with backoff; the existing
// shape keeps streaming; the new shape's request gets a 503 that says
// why.  Once writable again, the new shape's snapshot is taken and
// served; all data equals Postgres.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after } from 'node:test';
import {
  TMP, alive, cleanup, createDatabase, createItems, follow, onCleanup, readToEnd,
  scenario, shapeGet, sleep, startElectricd, waitFor,
} from './lib.mjs';
import { consumers, logLines, mount, mountTmpfs, umount } from './storage_lib.mjs';

after(cleanup);

scenario('read-only storage: clear error, no crash loop, the shape arrives once writable',
  { timeout: 180_000 }, async () => {
    const db = await createDatabase('stro');
    await createItems(db);
    await db.sql('CREATE TABLE others (id int PRIMARY KEY, v text)');
    await db.sql("INSERT INTO others VALUES (1, 'a'), (2, 'b')");
    const dir = fs.mkdtempSync(path.join(TMP, 'electricd-ro-'));
    mountTmpfs(dir, '16m');
    const E = await startElectricd({
      databaseUrl: db.url, storageDir: dir,
      env: { ELECTRIC_LONG_POLL_TIMEOUT: '2000' },
    });
    const shapes = path.join(dir, 'shapes');
    let bound = false;
    onCleanup(async () => {
      E.kill('SIGKILL');
      await E.exited;
      for (const pid of E.knownPids) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
      if (bound) await umount(shapes);
      await umount(dir);
    });

    const a = await readToEnd(E, { table: 'items' });
    const fa = follow(E, { table: 'items', handle: a.handle, offset: a.offset });
    await waitFor('items follower live', () => fa.upToDate);

    mount(['--bind', shapes, shapes], 'bind');
    bound = true;
    mount(['-o', 'remount,bind,ro', shapes], 'read-only remount');
    assert.throws(() => fs.mkdirSync(path.join(shapes, 'probe')), /EROFS/, 'shapes/ is read-only');

    // A new shape: its consumer cannot create its directory, and its
    // request gets a 503 that says so (not the snapshot wait's timeout).
    const pb = shapeGet(E, { table: 'others', offset: '-1' }, { timeout: 90_000 });
    await waitFor('a storage error in the log', () =>
      logLines(E, /storage error: cannot open the shape log .*Read-only file system/).length > 0,
    20_000);
    await waitFor('status shows storage_error', () =>
      consumers(E).some((p) => /storage_error: cannot open the shape log .*Read-only/.test(p.detail || '')),
    10_000);
    // The existing shape keeps streaming (its files are open).
    await db.sql("INSERT INTO items VALUES (50, 'during', false)");
    await waitFor('row 50 in the items follower', () =>
      fa.changes.some((m) => m.value?.id === '50'), 15_000);
    await sleep(3000);
    assert.ok(alive(E.pid), 'root alive');
    for (const p of consumers(E)) assert.equal(p.restarts, 0, `no restarts: ${JSON.stringify(p)}`);
    assert.equal(logLines(E, /escalat/i).length, 0, 'no escalation');

    const rb = await pb;
    assert.equal(rb.status, 503, `a 503 while shapes/ is read-only: ${rb.text}`);
    assert.match(rb.text, /Storage error: .*cannot open the shape log .*Read-only file system/);

    // Writable again: the shape is served.
    mount(['-o', 'remount,bind,rw', shapes], 'read-write remount');
    const b = await waitFor('the new shape served once writable', async () => {
      const x = await readToEnd(E, { table: 'others' }).catch(() => null);
      return x && x.messages.some((m) => m.headers?.operation === 'insert') ? x : null;
    }, 60_000, 1000);
    const ids = b.messages.filter((m) => m.headers?.operation === 'insert').map((m) => m.value.id);
    assert.deepEqual(ids.sort(), ['1', '2'], 'others equals Postgres');
    await db.sql("INSERT INTO items VALUES (51, 'after', true)");
    await waitFor('row 51 in the items follower', () =>
      fa.changes.some((m) => m.value?.id === '51'), 15_000);
    const seen = fa.changes.filter((m) => m.headers?.operation === 'insert').map((m) => m.value.id);
    assert.deepEqual(seen, ['50', '51'], 'each row once');
    assert.deepEqual(fa.errors, [], 'items follower: no errors');
  });

// storage_full: the storage directory is a 4 MiB tmpfs that a filler file
// fills up.  Rows written in Postgres then cannot be stored: the consumers
// log a clear error naming the file and errno, stay alive (no restarts, no
// escalation), acknowledge nothing and keep serving what is durable;
// `electricctl status` shows "storage_error".  Once the filler is gone,
// every row arrives exactly once in both shapes (compared with Postgres).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after } from 'node:test';
import {
  TMP, alive, cleanup, createDatabase, createItems, follow, onCleanup, readToEnd,
  scenario, shapeGet, sleep, startElectricd, waitFor,
} from './lib.mjs';
import { consumers, fill, logLines, mount, mountTmpfs, umount } from './storage_lib.mjs';

after(cleanup);

/* id -> value of every insert/update in f (exactly-once check). */
function inserts(f) {
  const n = new Map();
  for (const m of f.changes) {
    if (m.headers?.operation !== 'insert') continue;
    n.set(m.value.id, (n.get(m.value.id) || 0) + 1);
  }
  return n;
}

scenario('disk full: clear error, consumers stay up, every row once after space is back',
  { timeout: 180_000 }, async () => {
    const db = await createDatabase('stfull');
    await createItems(db);
    await db.sql('CREATE TABLE others (id int PRIMARY KEY, v text)');
    await db.sql("INSERT INTO others VALUES (1, 'a')");
    const dir = fs.mkdtempSync(path.join(TMP, 'electricd-full-'));
    mountTmpfs(dir, '4m');
    const E = await startElectricd({
      databaseUrl: db.url, storageDir: dir,
      env: { ELECTRIC_LONG_POLL_TIMEOUT: '2000' },
    });
    onCleanup(async () => {		// before the storage dir is removed
      E.kill('SIGKILL');
      await E.exited;
      for (const pid of E.knownPids) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
      await umount(dir);
    });

    const a = await readToEnd(E, { table: 'items' });
    const b = await readToEnd(E, { table: 'others' });
    const fa = follow(E, { table: 'items', handle: a.handle, offset: a.offset });
    const fb = follow(E, { table: 'others', handle: b.handle, offset: b.offset });
    await waitFor('both followers live', () => fa.upToDate && fb.upToDate);
    await waitFor('both consumers up', () => consumers(E).length === 2, 10_000);

    const filler = fill(dir);
    const text = 'x'.repeat(2000);
    for (let i = 100; i < 140; i++) {
      await db.sql('INSERT INTO items VALUES ($1, $2, false)', [i, `${i}${text}`]);
      if (i % 4 === 0) await db.sql('INSERT INTO others VALUES ($1, $2)', [i, text]);
    }
    await waitFor('a storage error in the log', () =>
      logLines(E, /storage error: .*(No space left on device|File too large)/).length > 0, 20_000);
    const line = logLines(E, /storage error: /)[0];
    assert.match(line, /\/shapes\/[^/]+\/log(\.idx|\.chunks)?: (write|fdatasync): No space left on device/,
      `the error names the file and errno: ${line}`);
    await waitFor('status shows storage_error', () =>
      consumers(E).some((p) => /storage_error/.test(p.detail || '')), 10_000);

    // A new shape cannot take its snapshot: its request gets a 503 that
    // says why, at once rather than after the snapshot wait.
    const t0 = Date.now();
    const n = await shapeGet(E, { table: 'others', offset: '-1', where: 'id > 1000' });
    const waited = Date.now() - t0;
    console.log(`new shape on full storage: ${n.status} after ${waited} ms: ${n.text}`);
    assert.equal(n.status, 503, `a new shape on full storage: ${n.text}`);
    assert.match(n.text, /Storage error: .*(disk is full|No space left on device)/, 'the 503 says why');
    assert.ok(waited < 15_000, `answered in ${waited} ms`);
    assert.ok(n.headers['retry-after'], 'with Retry-After');

    // A while later: root up, no consumer restarted, http still serves.
    await sleep(4000);
    assert.ok(alive(E.pid), 'root alive');
    for (const p of consumers(E)) assert.equal(p.restarts, 0, `no restarts: ${JSON.stringify(p)}`);
    const h = await shapeGet(E, { table: 'items', offset: '-1' });
    assert.equal(h.status, 200, `the durable snapshot is still served: ${h.text}`);
    assert.equal(logLines(E, /escalat/i).length, 0, 'no escalation');

    // Space is back.
    fs.rmSync(filler);
    await waitFor('every items row in the follower', () => inserts(fa).size === 40, 90_000, 250);
    await waitFor('every others row in the follower', () => inserts(fb).size === 10, 30_000, 250);
    await sleep(2500);			// a duplicate would show up by now
    for (const [id, n] of inserts(fa)) assert.equal(n, 1, `items ${id} exactly once`);
    for (const [id, n] of inserts(fb)) assert.equal(n, 1, `others ${id} exactly once`);
    assert.deepEqual(fa.errors, [], 'items follower: no errors');
    assert.deepEqual(fb.errors, [], 'others follower: no errors');

    // A fresh read equals Postgres.
    const fresh = await readToEnd(E, { table: 'items', handle: a.handle });
    const rows = new Map();
    for (const m of fresh.messages) {
      if (m.headers?.operation === 'insert') rows.set(m.value.id, m.value.title);
    }
    const pgRows = await db.sql('SELECT id::text, title FROM items ORDER BY id');
    assert.equal(rows.size, pgRows.length, 'row count');
    for (const r of pgRows) assert.equal(rows.get(r.id), r.title, `row ${r.id}`);
    assert.ok(logLines(E, /storage (writable again|error over)/).length > 0, 'recovery logged');
    for (const p of consumers(E)) assert.equal(p.restarts, 0, `still no restarts: ${JSON.stringify(p)}`);
  });

/* A table of n rows and an electricd whose shapes/ is a tmpfs of size
 * (meta.db, beside it, stays writable); killed and unmounted at the end. */
async function shapesOnTmpfs(name, n, value, size) {
  const db = await createDatabase(name);
  await db.sql(`CREATE TABLE ${name} (id int PRIMARY KEY, v text)`);
  await db.sql(`INSERT INTO ${name} SELECT g, ${value} FROM generate_series(1, ${n}) g`);
  const dir = fs.mkdtempSync(path.join(TMP, `electricd-${name}-`));
  const E = await startElectricd({ databaseUrl: db.url, storageDir: dir });
  const shapes = path.join(dir, 'shapes');
  mountTmpfs(shapes, size);
  onCleanup(async () => {
    E.kill('SIGKILL');
    await E.exited;
    for (const pid of E.knownPids) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    await umount(shapes);
  });
  return { E, shapes };
}

/* The first request for table's shape: a 503 naming the storage error
 * (re), at once rather than after the snapshot wait. */
async function expectStorage503(E, table, re) {
  const t0 = Date.now();
  const r = await shapeGet(E, { table, offset: '-1' });
  const waited = Date.now() - t0;
  assert.equal(r.status, 503, `the shape cannot be stored: ${r.text}`);
  assert.match(r.text, re, 'the 503 says why');
  assert.ok(waited < 10_000, `answered in ${waited} ms, not after the snapshot wait`);
  assert.ok(r.headers['retry-after'], 'with Retry-After');
}

/* Once the storage is writable: the shape is served, each of n rows once. */
async function expectServedOnce(E, table, n) {
  const got = await waitFor('the shape served once writable', async () => {
    const x = await readToEnd(E, { table }).catch(() => null);
    return x && x.messages.filter((m) => m.headers?.operation === 'insert').length === n ? x : null;
  }, 60_000, 1000);
  const ids = got.messages.filter((m) => m.headers?.operation === 'insert').map((m) => Number(m.value.id));
  assert.equal(new Set(ids).size, n, 'every row once');
}

scenario('a new shape whose snapshot cannot be stored: 503 saying why, at once; served once space is back',
  { timeout: 120_000 }, async () => {
    const { E, shapes } = await shapesOnTmpfs('fullnew', 200, "repeat('x', 1000)", '256k');
    const filler = fill(shapes);
    await expectStorage503(E, 'fullnew',
      /Storage error: the shape's snapshot cannot be stored: .*No space left on device/);
    await waitFor('status shows storage_error', () =>
      consumers(E).some((p) => /storage_error/.test(p.detail || '')), 10_000);
    fs.rmSync(filler);
    await expectServedOnce(E, 'fullnew', 200);
  });

scenario('a new shape whose directory cannot be created: 503 saying why, at once; served once writable',
  { timeout: 120_000 }, async () => {
    const { E, shapes } = await shapesOnTmpfs('ronew', 50, "'v'", '1m');
    mount(['-o', 'remount,ro', shapes], 'read-only remount');
    await expectStorage503(E, 'ronew', /Storage error: .*cannot open the shape log .*Read-only file system/);
    mount(['-o', 'remount,rw', shapes], 'read-write remount');
    await expectServedOnce(E, 'ronew', 50);
  });

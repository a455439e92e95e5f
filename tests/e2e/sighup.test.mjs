// sighup: ELECTRIC_LOG_FILE and log rotation.  With the variable set,
// every process logs to that file; after `mv file file.1` and SIGHUP to
// the root, the root and every child (connmgr, replication, collector,
// shapecache, http, a consumer) reopen the path, and later lines (a
// consumer killed and restarted) land in the new file while the old one
// stops growing.  Without ELECTRIC_LOG_FILE, SIGHUP is ignored: nothing
// dies, nothing restarts.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after } from 'node:test';
import {
  TMP, cleanup, createDatabase, createItems, onCleanup, scenario, shapeGet, sleep,
  startElectricd, waitFor,
} from './lib.mjs';

after(cleanup);

const PREFIXES = ['electricd[root]', 'connmgr[', 'replication[', 'collector[', 'shapecache[',
  'http[', 'consumer['];

const read = (p) => (fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : '');

scenario('SIGHUP reopens ELECTRIC_LOG_FILE in the root and every child', async () => {
  const db = await createDatabase('sighup');
  await createItems(db);
  const logFile = path.join(fs.mkdtempSync(path.join(TMP, 'sighup-')), 'electricd.log');
  onCleanup(() => fs.rmSync(path.dirname(logFile), { recursive: true, force: true }));
  const E = await startElectricd({ databaseUrl: db.url, env: { ELECTRIC_LOG_FILE: logFile } });
  const r = await shapeGet(E, { table: 'items', offset: '-1' });
  assert.equal(r.status, 200, r.text);
  const handle = r.headers['electric-handle'];
  await waitFor('the consumer in the log file', () => read(logFile).includes(`${handle.slice(0, 12)}`));
  const before = read(logFile);
  for (const p of ['electricd[root]', 'connmgr[', 'shapecache[', 'consumer[']) {
    assert.ok(before.includes(` ${p}`), `${p} logs to the file before the rotation`);
  }
  assert.ok(!E.log().includes('ready (pid'), 'nothing of the tree went to stderr');

  fs.renameSync(logFile, `${logFile}.1`);
  const pids = E.tree().map((p) => p.pid).sort();
  E.kill('SIGHUP');
  const fresh = await waitFor('every process to reopen the file', () => {
    const t = read(logFile);
    return PREFIXES.every((p) => t.split('\n').some((l) => l.includes(` ${p}`) &&
      l.includes(`reopened log file ${logFile}`))) ? t : null;
  });
  assert.ok(!fresh.includes('died'), fresh);
  assert.deepEqual(E.tree().map((p) => p.pid).sort(), pids, 'no process was restarted');

  // Later lines go to the new file only.
  await sleep(200);
  const oldSize = fs.statSync(`${logFile}.1`).size;
  const consumer = E.tree().find((p) => p.role === 'consumer');
  process.kill(consumer.pid, 'SIGKILL');
  await waitFor('the restarted consumer in the new file', () => {
    const t = read(logFile);
    return t.includes(`${handle} died`) && t.includes(`${handle} ready (pid`);
  }, 15_000);
  assert.equal(fs.statSync(`${logFile}.1`).size, oldSize, 'the old file stopped growing');
  await E.stop();
});

scenario('without ELECTRIC_LOG_FILE, SIGHUP is ignored', async () => {
  const db = await createDatabase('sighup_none');
  await createItems(db);
  const E = await startElectricd({ databaseUrl: db.url });
  const r = await shapeGet(E, { table: 'items', offset: '-1' });
  assert.equal(r.status, 200, r.text);
  const pids = E.tree().map((p) => p.pid).sort();
  E.kill('SIGHUP');
  await waitFor('the root to log the ignored SIGHUP', () => E.log().includes('SIGHUP ignored'));
  await sleep(300);
  assert.deepEqual(E.tree().map((p) => p.pid).sort(), pids, 'every process still runs');
  assert.ok(!E.log().includes('died'), E.logTail(20));
  const h = await fetch(`${E.url}/v1/health`);
  assert.equal(h.status, 200);
  await h.arrayBuffer();
  await E.stop();
});

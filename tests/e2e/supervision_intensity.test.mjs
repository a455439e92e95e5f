// supervision_intensity: restart intensity and escalation
// (supervisor/strategy.c).  A group whose children restart more than
// max_restarts times within period_s fails as a whole, as one child of its
// parent, under the parent's strategy; past the top (stack) electricd
// stops with exit status 1.
//
// 1. consumers (one_for_one, 50 in 10 s), reached honestly: 26 shapes, all
//    26 consumers SIGKILLed twice (52 deaths in ~2 s; the 1 s backoff
//    allows it).  The parent, the replication group, is one_for_all: the
//    collector and the shapecache restart with the consumers, the new
//    shapecache starts every consumer again; connmgr, replication and http
//    keep their pids; a live client loses and duplicates nothing.
// 2. connection (rest_for_one, 10 in 60 s) needs the test hook
//    ELECTRICD_TEST_INTENSITY (strategy.c; the real limit cannot be reached
//    within the 1 s..60 s backoff in a test's time): with connection=0/60
//    one SIGKILL of replication escalates, and the whole connection group
//    restarts (connmgr too, which rest_for_one alone would keep) while
//    http, under the one_for_one stack, keeps its pid.
// 3. The whole chain to the top, with the hook: replication_group=1/60,
//    connection=0/60, stack=0/60; the collector's second SIGKILL escalates
//    replication_group -> connection -> stack, and electricd exits 1 with
//    every child gone and its control socket removed.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after } from 'node:test';
import {
  alive, changesFor, childrenOf, cleanup, createDatabase, createItems, ctl,
  follow, onCleanup, procRole, scenario, shapeGet, sleep, startElectricd, waitFor,
} from './lib.mjs';

after(cleanup);

const STATIC = ['connmgr', 'replication', 'collector', 'shapecache', 'http'];
const LONG_POLL_MS = 2000;

/* id -> { pid, state, restarts, last_exit } from electricctl status. */
function status(E) {
  const r = ctl(E, ['status']);
  assert.equal(r.code, 0, `${r.cmd}: ${r.stderr}${r.stdout}`);
  const m = {};
  for (const p of r.json.processes) {
    m[p.id] = { pid: p.pid, state: p.state, restarts: p.restarts, last_exit: p.last_exit };
  }
  return { health: r.json.health, procs: m };
}

function procPids(E) {
  const m = {};
  for (const p of childrenOf(E.pid).map(procRole)) if (p.role) m[p.shape || p.role] = p.pid;
  return m;
}

const pidsOf = (procs) => Object.fromEntries(Object.entries(procs).map(([id, p]) => [id, p.pid]));

/* Waits until ids are all ready (health active) and pred(status) holds. */
function waitReady(E, ids, what, pred = () => true, ms = 20_000) {
  return waitFor(what, () => {
    const s = status(E);
    const ok = s.health === 'active' && ids.every((id) => s.procs[id]?.state === 'ready') && pred(s);
    return ok ? s : null;
  }, ms, 100);
}

/* Lines of the log (since the last start) that match re, in order. */
function logLines(E, re) {
  return E.log().split('\n').filter((l) => re.test(l));
}

/* A writer inserting one items row per transaction until stopped. */
function startWriter(db, first) {
  const w = { next: first, errors: [], running: true };
  w.done = (async () => {
    while (w.running) {
      try {
        await db.sql('INSERT INTO items VALUES ($1, $2, false)', [w.next, `r${w.next}`]);
        w.next++;
      } catch (err) {
        w.errors.push(String(err));
      }
      await sleep(40);
    }
  })();
  w.stop = async () => { w.running = false; await w.done; return w.next - 1; };
  onCleanup(w.stop);
  return w;
}

/* Every row first..last exactly once, in order, and nothing else. */
async function assertNoLoss(f, first, last) {
  await waitFor(`the client to hold rows up to ${last}`, () => changesFor(f, last).length > 0, 20_000)
    .catch((err) => { err.message += ` (errors ${f.errors})`; throw err; });
  await sleep(LONG_POLL_MS + 500);	// a late duplicate would arrive now
  await f.stop();
  assert.deepEqual(f.errors, [], 'no error or 409 for the client');
  const want = Array.from({ length: last - first + 1 }, (_, i) => first + i);
  assert.deepEqual(f.changes.map((m) => Number(m.value.id)), want, 'every row once, in order');
}

scenario('consumers past 50 restarts in 10 s: the replication group restarts as a whole', { timeout: 90_000 }, async () => {
  const db = await createDatabase('intens');
  await createItems(db);
  const E = await startElectricd({
    databaseUrl: db.url, env: { ELECTRIC_LONG_POLL_TIMEOUT: String(LONG_POLL_MS) },
  });
  // One whole-table shape (followed) and 25 shapes with a WHERE.
  let r = await shapeGet(E, { table: 'items', offset: '-1' });
  assert.equal(r.status, 200, r.text);
  const main = r.headers['electric-handle'];
  const mainOffset = r.headers['electric-offset'];
  const handles = [main];
  for (let k = 1; k <= 25; k++) {
    r = await shapeGet(E, { table: 'items', offset: '-1', where: `id = ${k}` });
    assert.equal(r.status, 200, r.text);
    handles.push(r.headers['electric-handle']);
  }
  assert.equal(new Set(handles).size, 26);
  const ids = [...STATIC, ...handles];
  const f = follow(E, { handle: main, offset: mainOffset });
  const before = await waitReady(E, ids, '26 consumers ready and a live client', () => f.upToDate);
  assert.deepEqual(procPids(E), pidsOf(before.procs), 'status pids match /proc');
  const w = startWriter(db, 100);
  await sleep(300);

  // Round 1: 26 deaths; each consumer alone restarts (one_for_one).
  for (const h of handles) process.kill(before.procs[h].pid, 'SIGKILL');
  const mid = await waitReady(E, ids, 'every consumer back after round 1',
    (s) => handles.every((h) => s.procs[h].pid !== before.procs[h].pid));
  for (const id of STATIC) {
    assert.equal(mid.procs[id].pid, before.procs[id].pid, `round 1: ${id} keeps its pid`);
  }
  for (const h of handles) assert.equal(mid.procs[h].restarts, 1, `round 1: ${h} restarted once`);
  assert.deepEqual(logLines(E, /exceeded its restart intensity/), [], 'round 1: no escalation yet');

  // Round 2: 26 more deaths within 10 s; the 51st escalates.
  for (const h of handles) process.kill(mid.procs[h].pid, 'SIGKILL');
  const now = await waitReady(E, ids, 'the replication group back after the escalation',
    (s) => ['collector', 'shapecache', ...handles].every((id) => s.procs[id].pid !== mid.procs[id].pid));

  assert.equal(logLines(E, /group consumers exceeded its restart intensity \(50 in 10 s\)/).length, 1,
    'the consumers group exceeded its intensity once');
  assert.equal(logLines(E, /restarting group replication_group as a whole \(escalated to replication_group, one_for_all\)/).length, 1,
    'the one_for_all parent restarts as a whole');
  assert.deepEqual(logLines(E, /group (replication_group|connection|stack) exceeded/), [], 'no further escalation');
  for (const id of ['connmgr', 'replication', 'http']) {
    assert.equal(now.procs[id].pid, before.procs[id].pid, `${id} keeps its pid`);
    assert.equal(now.procs[id].restarts, 0, `${id} never restarted`);
  }
  for (const id of ['collector', 'shapecache']) {
    assert.notEqual(now.procs[id].pid, before.procs[id].pid, `${id} has a new pid`);
    assert.equal(now.procs[id].restarts, 1, `${id} restarted once`);
    assert.match(now.procs[id].last_exit, /^(exit 0|signal 15)$/, `${id} was stopped, not killed`);
  }
  // A consumer whose death the root handled before the escalation (the
  // 51st at the latest) was waiting out its backoff and keeps its entry (2
  // restarts); one still running or not yet reaped was forgotten and is
  // a fresh entry, started for the new shapecache.
  let kept = 0;
  for (const h of handles) {
    const p = now.procs[h];
    assert.ok(p.restarts === 0 || (p.restarts === 2 && p.last_exit === 'signal 9'),
      `${h}: ${JSON.stringify(p)}`);
    kept += p.restarts === 2;
  }
  assert.ok(kept >= 1 && kept <= 25, `consumers that kept their entry: ${kept}`);
  assert.deepEqual(Object.keys(now.procs).sort(), [...ids].sort(), 'no process more or less');
  assert.deepEqual(procPids(E), pidsOf(now.procs), '/proc agrees');

  await sleep(300);
  const last = await w.stop();
  assert.deepEqual(w.errors, []);
  await assertNoLoss(f, 100, last);
  const code = (await E.stop()).code;
  assert.equal(code, 0, 'electricd still stops cleanly');
});

scenario('connection group past its intensity (test hook): the connection group restarts, http stays', async () => {
  const db = await createDatabase('intens2');
  await createItems(db);
  const E = await startElectricd({
    databaseUrl: db.url,
    env: { ELECTRIC_LONG_POLL_TIMEOUT: String(LONG_POLL_MS), ELECTRICD_TEST_INTENSITY: 'connection=0/60' },
  });
  const r = await shapeGet(E, { table: 'items', offset: '-1' });
  assert.equal(r.status, 200, r.text);
  const handle = r.headers['electric-handle'];
  const ids = [...STATIC, handle];
  const f = follow(E, { handle, offset: r.headers['electric-offset'] });
  const before = await waitReady(E, ids, 'all ready and a live client', () => f.upToDate);
  const w = startWriter(db, 100);
  await sleep(300);

  process.kill(before.procs.replication.pid, 'SIGKILL');
  const now = await waitReady(E, ids, 'the connection group back',
    (s) => ['connmgr', 'replication', 'collector', 'shapecache', handle]
      .every((id) => s.procs[id].pid !== before.procs[id].pid));
  assert.deepEqual(logLines(E, /exceeded its restart intensity/).map((l) => l.replace(/^.*group /, 'group ')),
    ['group connection exceeded its restart intensity (0 in 60 s)']);
  assert.equal(logLines(E, /restarting group connection as a whole \(escalated to stack, one_for_one\)/).length, 1);
  assert.equal(logLines(E, /test hook: group connection intensity 0 in 60 s/).length, 1, 'the hook is announced');
  assert.equal(now.procs.http.pid, before.procs.http.pid, 'http keeps its pid');
  assert.equal(now.procs.http.restarts, 0);
  assert.equal(now.procs.replication.last_exit, 'signal 9');
  assert.equal(now.procs.replication.restarts, 1);
  assert.equal(now.procs.connmgr.restarts, 1, 'connmgr restarted by the escalation');
  assert.match(now.procs.connmgr.last_exit, /^(exit 0|signal 15)$/);
  assert.deepEqual(procPids(E), pidsOf(now.procs), '/proc agrees');

  await sleep(300);
  const last = await w.stop();
  assert.deepEqual(w.errors, []);
  await assertNoLoss(f, 100, last);
});

scenario('escalation past the top (test hook): electricd exits 1, no child left', async () => {
  const db = await createDatabase('intens3');
  await createItems(db);
  const E = await startElectricd({
    databaseUrl: db.url,
    env: { ELECTRICD_TEST_INTENSITY: 'replication_group=1/60,connection=0/60,stack=0/60' },
  });
  const r = await shapeGet(E, { table: 'items', offset: '-1' });
  assert.equal(r.status, 200, r.text);
  const handle = r.headers['electric-handle'];
  const ids = [...STATIC, handle];
  const s0 = await waitReady(E, ids, 'all ready');

  // First collector death: within replication_group's 1 restart.
  process.kill(s0.procs.collector.pid, 'SIGKILL');
  const s1 = await waitReady(E, ids, 'the replication group back',
    (s) => s.procs.collector.pid !== s0.procs.collector.pid);
  assert.deepEqual(logLines(E, /exceeded its restart intensity/), [], 'one restart is allowed');
  assert.equal(s1.procs.connmgr.pid, s0.procs.connmgr.pid);

  // Second: replication_group -> connection -> stack -> exit 1.
  const tree = E.tree().map((p) => p.pid);
  process.kill(s1.procs.collector.pid, 'SIGKILL');
  const t0 = Date.now();
  const res = await Promise.race([E.exited, sleep(15_000).then(() => null)]);
  assert.ok(res !== null, 'electricd exits within 15 s');
  assert.equal(res.code, 1, `exit status 1: ${JSON.stringify(res)}`);
  assert.ok(Date.now() - t0 < 15_000);
  assert.deepEqual(logLines(E, /exceeded its restart intensity|giving up|restarting group/)
    .map((l) => l.replace(/^.*?warning electricd\[root\]: /, '')), [
    'group replication_group exceeded its restart intensity (1 in 60 s)',
    'restarting group replication_group as a whole (escalated to connection, rest_for_one)',
    'group connection exceeded its restart intensity (0 in 60 s)',
    'restarting group connection as a whole (escalated to stack, one_for_one)',
    'group stack exceeded its restart intensity (0 in 60 s)',
    'giving up: stopping electricd',
  ]);
  await waitFor('every child gone', () => tree.every((pid) => !alive(pid)), 5000, 50)
    .catch((err) => { err.message += `: alive ${tree.filter(alive)}`; throw err; });
  assert.ok(!fs.existsSync(path.join(E.storageDir, 'run', 'control.sock')), 'control socket removed');
  const down = ctl(E, ['status'], { json: false });
  assert.equal(down.code, 3, `electricctl sees it down: ${down.stdout}${down.stderr}`);
});

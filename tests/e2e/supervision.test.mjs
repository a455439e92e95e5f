// supervision: the restart strategy of every role (docs/internals.md,
// supervisor/childspec.c).  One electricd with three shapes, a live client
// following each while a writer inserts a row into every table every 40 ms.
// For each role in turn (http, connmgr, replication, collector,
// shapecache, one consumer) the role's process gets SIGKILL; once
// everything is ready again the test asserts, from `electricctl status
// --json` and from /proc:
//   - exactly which processes have a new pid: the killed one plus what its
//     group's strategy implies (stack one_for_one: http alone; connection
//     rest_for_one: connmgr takes replication and the replication group,
//     replication takes the replication group; replication group
//     one_for_all: collector or shapecache takes the other and every
//     consumer; consumers one_for_one: one consumer alone);
//   - that every other process kept its pid (listed explicitly);
//   - the restart counters: +1 for the killed process (last_exit "signal
//     9") and for each static role stopped with it; consumers stopped by a
//     replication-group restart are forgotten and started anew by the new
//     shapecache (restarts 0); the others' counters do not move.
// At the end every client holds every inserted row of its table exactly
// once, in insert order, and saw no error (no 409).

import assert from 'node:assert/strict';
import { after } from 'node:test';
import {
  alive, childrenOf, cleanup, createDatabase, ctl, follow, procRole, rowWriter, scenario,
  shapeGet, sleep, startElectricd, waitFor,
} from './lib.mjs';

after(cleanup);

const TABLES = ['ta', 'tb', 'tc'];
const STATIC = ['connmgr', 'replication', 'collector', 'shapecache', 'http'];
const LONG_POLL_MS = 2000;

/* id -> { pid, state, restarts, last_exit } from electricctl status. */
function status(E) {
  const r = ctl(E, ['status']);
  assert.equal(r.code, 0, `${r.cmd}: ${r.stderr}${r.stdout}`);
  assert.equal(r.json.pid, E.pid, 'status reports the root pid');
  const m = {};
  for (const p of r.json.processes) {
    m[p.id] = { pid: p.pid, state: p.state, restarts: p.restarts, last_exit: p.last_exit, role: p.role };
  }
  return { health: r.json.health, procs: m };
}

/* id (role or handle) -> pid of the root's children, from /proc. */
function procPids(E) {
  const m = {};
  for (const p of childrenOf(E.pid).map(procRole)) if (p.role) m[p.shape || p.role] = p.pid;
  return m;
}

const pidsOf = (procs) => Object.fromEntries(Object.entries(procs).map(([id, p]) => [id, p.pid]));

/* Which ids the death of `victim` must restart, by the strategies. */
function expectedRestarts(victim, handles) {
  const rgroup = ['collector', 'shapecache', ...handles];
  switch (victim) {
  case 'http': return ['http'];
  case 'connmgr': return ['connmgr', 'replication', ...rgroup];
  case 'replication': return ['replication', ...rgroup];
  case 'collector': case 'shapecache': return rgroup;
  default: return [victim];	// a consumer
  }
}

/* SIGKILLs victim's process and checks the strategy's outcome. */
async function killAndCheck(E, victim, handles) {
  const before = status(E);
  const ids = [...STATIC, ...handles];
  assert.deepEqual(Object.keys(before.procs).sort(), [...ids].sort(), 'processes before');
  for (const id of ids) assert.equal(before.procs[id].state, 'ready', `${id} ready before killing ${victim}`);
  assert.deepEqual(procPids(E), pidsOf(before.procs), 'status pids match /proc');
  const changed = expectedRestarts(victim, handles);
  const kept = ids.filter((id) => !changed.includes(id));

  process.kill(before.procs[victim].pid, 'SIGKILL');
  const now = await waitFor(`every process ready again after SIGKILL of ${victim}`, () => {
    const s = status(E);
    const ok = s.health === 'active' && ids.every((id) => s.procs[id]?.state === 'ready' &&
      s.procs[id].pid !== null) && changed.every((id) => s.procs[id].pid !== before.procs[id].pid);
    return ok ? s : null;
  }, 20_000, 100);
  const what = `SIGKILL of ${victim}`;
  assert.deepEqual(Object.keys(now.procs).sort(), [...ids].sort(), `${what}: the same processes`);
  for (const id of changed) {
    assert.notEqual(now.procs[id].pid, before.procs[id].pid, `${what}: ${id} has a new pid`);
  }
  for (const id of kept) {
    assert.equal(now.procs[id].pid, before.procs[id].pid, `${what}: ${id} keeps its pid`);
    assert.equal(now.procs[id].restarts, before.procs[id].restarts, `${what}: ${id} restarts unchanged`);
  }
  assert.deepEqual(procPids(E), pidsOf(now.procs), `${what}: /proc agrees`);
  const v = now.procs[victim];
  assert.equal(v.restarts, before.procs[victim].restarts + 1, `${what}: its restart counter`);
  assert.equal(v.last_exit, 'signal 9', `${what}: its last exit`);
  for (const id of changed.filter((x) => x !== victim)) {
    const p = now.procs[id];
    if (handles.includes(id)) {
      // Forgotten by the group restart, started again for the new
      // shapecache: a fresh entry.
      assert.equal(p.restarts, 0, `${what}: consumer ${id} is a fresh entry: ${JSON.stringify(p)}`);
      assert.equal(p.last_exit, null, `${what}: consumer ${id} last exit`);
    } else {
      assert.equal(p.restarts, before.procs[id].restarts + 1, `${what}: ${id} restart counter`);
      assert.match(p.last_exit, /^(exit 0|signal 15)$/, `${what}: ${id} was stopped, not killed`);
    }
  }
  return { changed, kept };
}

scenario('SIGKILL of each role: exactly its strategy restarts, clients lose nothing', { timeout: 90_000 }, async () => {
  const db = await createDatabase('superv');
  for (const t of TABLES) await db.sql(`CREATE TABLE ${t} (id int PRIMARY KEY, v text)`);
  const E = await startElectricd({
    databaseUrl: db.url, env: { ELECTRIC_LONG_POLL_TIMEOUT: String(LONG_POLL_MS) },
  });

  const followers = {};
  const handles = [];
  for (const t of TABLES) {
    const r = await shapeGet(E, { table: t, offset: '-1' });
    assert.equal(r.status, 200, r.text);
    const handle = r.headers['electric-handle'];
    handles.push(handle);
    followers[t] = follow(E, { table: t, handle, offset: r.headers['electric-offset'] });
  }
  await waitFor('three consumers ready and three live clients', () => {
    const s = status(E);
    return handles.every((h) => s.procs[h]?.state === 'ready') &&
      Object.values(followers).every((f) => f.upToDate);
  }, 10_000);

  // The writer: one transaction per row id, one row in every table.
  const writer = rowWriter(db, TABLES);

  const seen = [];
  for (const victim of ['http', 'connmgr', 'replication', 'collector', 'shapecache', handles[0]]) {
    await sleep(300);	// rows flowing before each kill
    const res = await killAndCheck(E, victim, handles);
    seen.push(`${victim}: restarted ${res.changed.length}, kept ${res.kept.join(',')}`);
  }
  await writer.stop();
  const { written } = writer;
  assert.deepEqual(writer.errors, [], 'the writer never failed');
  assert.ok(written >= 50, `rows written: ${written}`);

  const want = Array.from({ length: written }, (_, i) => i + 1);
  for (const t of TABLES) {
    const f = followers[t];
    await waitFor(`client of ${t} to hold ${written} rows`, () => f.changes.length >= written, 20_000)
      .catch((err) => { err.message += ` (has ${f.changes.length}; errors ${f.errors})`; throw err; });
  }
  await sleep(LONG_POLL_MS + 500);	// a late duplicate would arrive now
  for (const t of TABLES) {
    const f = followers[t];
    await f.stop();
    assert.deepEqual(f.errors, [], `client of ${t}: no error or 409`);
    const ids = f.changes.map((m) => Number(m.value.id));
    assert.deepEqual(ids, want, `client of ${t}: every row once, in order`);
    assert.ok(f.changes.every((m) => m.headers.operation === 'insert'), `${t}: inserts only`);
  }
  const final = status(E);
  assert.equal(final.health, 'active');
  // Counters over the whole run: each role was killed once, and stopped
  // with the kills that its place in the tree exposes it to.
  assert.deepEqual(Object.fromEntries([...STATIC, ...handles].map((r) => [r, final.procs[r].restarts])), {
    http: 1,			// its own kill (stack is one_for_one)
    connmgr: 1,			// its own (first in its rest_for_one group)
    replication: 2,		// connmgr's, its own
    collector: 4,		// connmgr's, replication's, its own, shapecache's
    shapecache: 4,		// connmgr's, replication's, collector's, its own
    [handles[0]]: 1,		// fresh after shapecache's kill, then its own
    [handles[1]]: 0,
    [handles[2]]: 0,
  }, `restart counters: ${seen.join('; ')}`);
});

// OTP order: a group restart starts nothing again until every child it
// stopped has exited.  One consumer is frozen (SIGSTOP) so it cannot act
// on its SIGTERM when the collector's death takes the replication group
// down: the new shapecache must wait for it, the root SIGKILLs it after
// 3 s, and only then does the group come back, with that shape's consumer
// a fresh entry.  Its client still gets every row exactly once.
scenario('a group restart waits for a child that ignores SIGTERM, then SIGKILLs it', { timeout: 60_000 }, async () => {
  const db = await createDatabase('superv_drain');
  const tables = ['ta', 'tb'];
  for (const t of tables) await db.sql(`CREATE TABLE ${t} (id int PRIMARY KEY, v text)`);
  const E = await startElectricd({
    databaseUrl: db.url, env: { ELECTRIC_LONG_POLL_TIMEOUT: String(LONG_POLL_MS) },
  });
  const followers = {};
  const handles = [];
  for (const t of tables) {
    const r = await shapeGet(E, { table: t, offset: '-1' });
    assert.equal(r.status, 200, r.text);
    handles.push(r.headers['electric-handle']);
    followers[t] = follow(E, { table: t, handle: r.headers['electric-handle'], offset: r.headers['electric-offset'] });
  }
  await waitFor('consumers ready and live clients', () => {
    const s = status(E);
    return handles.every((h) => s.procs[h]?.state === 'ready') &&
      Object.values(followers).every((f) => f.upToDate);
  }, 10_000);
  const writer = rowWriter(db, tables);
  await sleep(300);

  const before = status(E);
  const frozen = handles[0];
  const frozenPid = before.procs[frozen].pid;
  process.kill(frozenPid, 'SIGSTOP');
  process.kill(before.procs.collector.pid, 'SIGKILL');
  await sleep(1500);
  const mid = status(E);
  assert.equal(mid.procs[frozen]?.pid, frozenPid, 'the frozen consumer is still there');
  assert.equal(mid.procs[frozen].state, 'stopping', 'and stopping');
  assert.ok(alive(frozenPid), 'its process lives');
  assert.notEqual(mid.procs.shapecache.state, 'ready', `no new shapecache yet: ${JSON.stringify(mid.procs.shapecache)}`);
  assert.equal(mid.procs.shapecache.pid, null, 'shapecache is not running');
  assert.equal(mid.procs[handles[1]], undefined, 'the other consumer exited and is forgotten');

  const ids = [...STATIC, ...handles];
  const now = await waitFor('everything ready again', () => {
    const s = status(E);
    return s.health === 'active' && ids.every((id) => s.procs[id]?.state === 'ready') &&
      s.procs.shapecache.pid !== before.procs.shapecache.pid ? s : null;
  }, 20_000, 100);
  assert.ok(!alive(frozenPid), 'the frozen consumer was killed');
  for (const h of handles) {
    assert.notEqual(now.procs[h].pid, before.procs[h].pid, `${h}: a new process`);
    assert.equal(now.procs[h].restarts, 0, `${h}: a fresh entry: ${JSON.stringify(now.procs[h])}`);
    assert.equal(now.procs[h].last_exit, null, `${h}: no last exit`);
  }
  const log = E.log();
  const killed = log.indexOf(`${frozen} did not stop in 3000 ms, killing it`);
  assert.ok(killed >= 0, 'the root logs the SIGKILL');
  const ready = log.indexOf(`shapecache ready (pid ${now.procs.shapecache.pid})`);
  assert.ok(ready > killed, 'the new shapecache started after the kill');

  await sleep(300);
  await writer.stop();
  assert.deepEqual(writer.errors, [], 'the writer never failed');
  const want = Array.from({ length: writer.written }, (_, i) => i + 1);
  for (const t of tables) {
    const f = followers[t];
    await waitFor(`client of ${t} to hold ${writer.written} rows`, () => f.changes.length >= writer.written, 20_000);
  }
  await sleep(LONG_POLL_MS + 500);
  for (const t of tables) {
    const f = followers[t];
    await f.stop();
    assert.deepEqual(f.errors, [], `client of ${t}: no error or 409`);
    assert.deepEqual(f.changes.map((m) => Number(m.value.id)), want, `client of ${t}: every row once, in order`);
  }
});

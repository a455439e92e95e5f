// consumer_restart: `electricctl restart <handle>` restarts only that
// shape's consumer (one_for_one): its pid changes, every other process
// keeps its pid, and a live client sees each insert made before, during
// and after the restart exactly once.  Also electricctl shapes --json, and
// electricctl status against a stopped daemon (exit 3, clear message).

import assert from 'node:assert/strict';
import { after } from 'node:test';
import {
  changesFor, childrenOf, cleanup, createDatabase, createItems, ctl, follow,
  procRole, scenario, shapeGet, sleep, startElectricd, waitFor,
} from './lib.mjs';

after(cleanup);

/* id -> pid of every supervised process in `electricctl status --json`. */
function statusPids(E) {
  const r = ctl(E, ['status']);
  assert.equal(r.code, 0, `${r.cmd}: ${r.stderr}${r.stdout}`);
  assert.ok(r.json && Array.isArray(r.json.processes), `status JSON: ${r.stdout}`);
  assert.equal(r.json.pid, E.pid, 'status reports the root pid');
  const m = {};
  for (const p of r.json.processes) m[p.id] = p.pid;
  return m;
}

/* id -> pid of the root's children from /proc (id = role or handle). */
function procPids(E) {
  const m = {};
  for (const p of childrenOf(E.pid).map(procRole)) {
    if (p.role) m[p.shape || p.role] = p.pid;
  }
  return m;
}

function without(m, key) {
  const c = { ...m };
  delete c[key];
  return c;
}

scenario('electricctl restart <handle> restarts only that consumer', async () => {
  const db = await createDatabase('crestart');
  await createItems(db);
  await db.sql('CREATE TABLE others (id int PRIMARY KEY, v text)');
  await db.sql("INSERT INTO others VALUES (1, 'a')");
  const E = await startElectricd({ databaseUrl: db.url, env: { ELECTRIC_LONG_POLL_TIMEOUT: '3000' } });

  let r = await shapeGet(E, { table: 'items', offset: '-1' });
  assert.equal(r.status, 200, r.text);
  const handle = r.headers['electric-handle'];
  r = await shapeGet(E, { table: 'others', offset: '-1' });
  assert.equal(r.status, 200, r.text);
  const other = r.headers['electric-handle'];
  assert.notEqual(handle, other);

  // shapes --json lists both shapes.
  const sh = ctl(E, ['shapes']);
  assert.equal(sh.code, 0, `${sh.cmd}: ${sh.stderr}`);
  const listed = (sh.json?.shapes || []).map((s) => s.handle).sort();
  assert.deepEqual(listed, [handle, other].sort(), `shapes: ${sh.stdout}`);

  const before = await waitFor('both consumers in status', () => {
    const m = statusPids(E);
    return m[handle] && m[other] ? m : null;
  }, 5000);
  assert.deepEqual(before, procPids(E), 'status pids match /proc');
  for (const role of ['connmgr', 'replication', 'collector', 'shapecache', 'http']) {
    assert.ok(Number.isInteger(before[role]), `${role} in status: ${JSON.stringify(before)}`);
  }

  // A live client on items.
  const f = follow(E, { handle, offset: '0_0' });
  await waitFor('the client to be live', () => f.upToDate);
  await db.sql("INSERT INTO items VALUES (10, 'before', false)");
  await waitFor('row 10 (before the restart)', () => changesFor(f, 10).length > 0);

  const rr = ctl(E, ['restart', handle]);
  assert.equal(rr.code, 0, `${rr.cmd}: ${rr.stderr}${rr.stdout}`);
  await db.sql("INSERT INTO items VALUES (11, 'during', true)");
  const afterPids = await waitFor('a new consumer pid', () => {
    const m = statusPids(E);
    return m[handle] && m[handle] !== before[handle] ? m : null;
  }, 10_000);
  await db.sql("INSERT INTO items VALUES (12, 'after', null)");

  await waitFor('rows 11 and 12', () => changesFor(f, 11).length && changesFor(f, 12).length, 15_000);
  await sleep(3500);	// one long-poll period for late duplicates
  await f.stop();
  assert.deepEqual(f.errors, [], 'no 409 or error for the live client');
  for (const id of [10, 11, 12]) {
    assert.equal(changesFor(f, id).length, 1, `row ${id} delivered once: ${JSON.stringify(f.changes)}`);
  }
  assert.equal(f.changes.length, 3, JSON.stringify(f.changes));

  // Only the consumer changed.
  assert.notEqual(afterPids[handle], before[handle]);
  assert.deepEqual(without(afterPids, handle), without(before, handle),
    'every other process keeps its pid');
  const now = procPids(E);
  assert.equal(now[handle], afterPids[handle], '/proc agrees on the new consumer pid');
  assert.deepEqual(without(now, handle), without(before, handle));

  // The restarted consumer counts one restart; electricctl works by prefix.
  const st = ctl(E, ['st']);
  assert.equal(st.code, 0, st.stderr);
  const cp = st.json.processes.find((p) => p.id === handle);
  assert.equal(cp.role, 'consumer');
  assert.ok(cp.restarts >= 1, JSON.stringify(cp));

  // An unknown target is an error (exit 1) and changes nothing.
  const bad = ctl(E, ['restart', 'no-such-shape']);
  assert.equal(bad.code, 1, `${bad.cmd}: ${bad.stdout}${bad.stderr}`);
  assert.deepEqual(procPids(E), now);

  await E.stop();

  // Not running: exit 3 and a clear message.
  const down = ctl(E, ['status'], { json: false });
  assert.equal(down.code, 3, `${down.cmd}: ${down.stdout}${down.stderr}`);
  assert.match(down.stderr, /not running/i);
  assert.equal(down.stdout, '');
});

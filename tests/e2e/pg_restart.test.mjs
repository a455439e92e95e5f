// pg_restart: Postgres stops under a running electricd -- once with
// `pg_ctl stop -m fast`, once with `-m immediate` (a crash) -- while a
// writer commits transactions continuously and shapes are followed by the
// real client and by raw followers.  While Postgres is down /v1/health is
// 202 {"status":"starting"}, the root stays up and restarts are bounded
// (connmgr and what comes after it restart once or twice per outage, no
// crash loop).  Once Postgres is back, health is active again within a
// bound, and every transaction Postgres holds reaches every shape exactly
// once and in order: per row one insert, one update per committed
// increment (the updates' values are 1, 2, 3, ...), change offsets
// strictly increasing, and the client's rows equal Postgres's.

import assert from 'node:assert/strict';
import { after } from 'node:test';
import pg from 'pg';
import {
  cleanup, descendantsOf, follow, httpGet, startShapeClient, onCleanup, procRole, scenario,
  shapeGet, sleep, startElectricd, waitFor,
} from './lib.mjs';
import { startCluster } from './pgcluster.mjs';

after(cleanup);


const SEED = 20;
const DOWN_MS = 6000;		// how long Postgres stays down per round
const ACTIVE_BOUND_MS = 30_000;	// health back to active after the start

/* Commits one transaction after the other until stop(): insert row n,
 * increment v of row n-5, set the counter to n.  A failed transaction
 * (Postgres going away) is abandoned; Postgres decides what committed. */
function startWriter(url) {
  const w = { n: SEED, commits: 0, failures: 0, stopped: false };
  w.done = (async () => {
    let c = null;
    while (!w.stopped) {
      try {
        if (c === null) {
          c = new pg.Client({ connectionString: url });
          c.on('error', () => {});
          await c.connect();
        }
        const n = ++w.n;
        await c.query('BEGIN');
        await c.query('INSERT INTO items VALUES ($1, $2, 0)', [n, n % 3]);
        await c.query('UPDATE items SET v = v + 1 WHERE id = $1', [n - 5]);
        await c.query('UPDATE counter SET n = $1 WHERE id = 1', [n]);
        await c.query('COMMIT');
        w.commits++;
        await sleep(15);
      } catch {
        w.failures++;
        try { await c?.end(); } catch { /* broken anyway */ }
        c = null;
        await sleep(100);
      }
    }
    try { await c?.end(); } catch { /* broken */ }
  })();
  w.stop = async () => { w.stopped = true; await w.done; };
  onCleanup(w.stop);
  return w;
}

/* Checks one raw follower against Postgres's final rows (id -> {grp, v})
 * restricted by keep(row).  Returns a summary string for the log. */
function checkItems(name, f, rows, keep) {
  const byKey = new Map();
  for (const m of f.changes) {
    const id = Number(m.value?.id ?? /\/"(\d+)"$/.exec(m.key)[1]);
    if (!byKey.has(id)) byKey.set(id, []);
    byKey.get(id).push(m);
  }
  let nUpd = 0;
  for (const [id, r] of rows) {
    if (!keep(r)) {
      assert.ok(!byKey.has(id), `${name}: row ${id} (grp ${r.grp}) is not in the shape`);
      continue;
    }
    const ms = byKey.get(id) || [];
    const ops = ms.map((m) => m.headers.operation);
    assert.equal(ops[0], 'insert', `${name}: row ${id} starts with an insert: ${JSON.stringify(ms)}`);
    assert.equal(ops.filter((o) => o === 'insert').length, 1, `${name}: row ${id} inserted once`);
    assert.ok(ops.every((o) => o !== 'delete'), `${name}: row ${id} never deleted`);
    const vs = ms.slice(1).map((m) => Number(m.value.v));
    assert.deepEqual(vs, Array.from({ length: r.v }, (_, i) => i + 1),
      `${name}: row ${id}: one update per committed increment, in order`);
    nUpd += vs.length;
    byKey.delete(id);
  }
  assert.deepEqual([...byKey.keys()], [], `${name}: rows Postgres does not have`);
  assert.deepEqual(f.errors, [], `${name}: no errors`);
  checkOffsets(name, f);
  return `${name}: ${f.changes.length} changes, ${nUpd} updates`;
}

/* Log changes carry (lsn, op_position): strictly increasing. */
function checkOffsets(name, f) {
  let last = null;
  for (const m of f.changes) {
    if (m.headers.lsn === undefined) continue;
    const cur = [BigInt(m.headers.lsn), BigInt(m.headers.op_position)];
    if (last !== null) {
      assert.ok(cur[0] > last[0] || (cur[0] === last[0] && cur[1] > last[1]),
        `${name}: offsets increase: ${last} then ${cur} (${JSON.stringify(m)})`);
    }
    last = cur;
  }
}

async function health(E) {
  try {
    const r = await httpGet(E, '/v1/health', { timeout: 3000 });
    return `${r.status} ${r.text}`;
  } catch (err) {
    return `error ${err.message}`;
  }
}

/* Every pid seen per role (for the bounded-restart check). */
function sampleRoles(E, seen) {
  for (const p of descendantsOf(E.pid).map(procRole)) {
    if (p.role && p.role !== 'consumer') seen.set(p.pid, p.role);
  }
}

scenario('Postgres stops (fast, then immediate) and starts again', { timeout: 300_000 }, async () => {
  const C = await startCluster('pgrestart');
  await C.sql('CREATE TABLE items (id int PRIMARY KEY, grp int NOT NULL, v int NOT NULL)');
  await C.sql('CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL)');
  await C.sql('INSERT INTO counter VALUES (1, 0)');
  await C.sql(`INSERT INTO items SELECT g, g % 3, 0 FROM generate_series(1, ${SEED}) g`);
  const E = await startElectricd({
    databaseUrl: C.url,
    env: { ELECTRIC_LONG_POLL_TIMEOUT: '2000' },
  });

  // Shapes: all items (client + raw), items with grp = 1 (raw), counter.
  const shapes = {};
  for (const [name, params] of [['all', { table: 'items' }],
    ['grp1', { table: 'items', where: 'grp = 1' }], ['counter', { table: 'counter' }]]) {
    const r = await shapeGet(E, { ...params, offset: '-1' });
    assert.equal(r.status, 200, r.text);
    shapes[name] = follow(E, { table: params.table, handle: r.headers['electric-handle'],
      offset: '-1', extra: params.where ? { where: params.where } : {} });
  }
  const client = await startShapeClient(E);
  await waitFor('followers up to date', () => Object.values(shapes).every((f) => f.upToDate), 15_000);

  const w = startWriter(C.url);
  const seen = new Map();
  const report = [];
  for (const mode of ['fast', 'immediate']) {
    await sleep(2500);
    sampleRoles(E, seen);
    const before = w.commits;
    assert.ok(before > 0, 'the writer commits');
    const t0 = Date.now();
    C.stop(mode);
    const statuses = new Set();
    while (Date.now() - t0 < DOWN_MS) {
      assert.equal(E.proc.exitCode, null, `root exited: ${E.logTail(30)}`);
      assert.equal(E.proc.signalCode, null, 'root killed');
      statuses.add(await health(E));
      sampleRoles(E, seen);
      await sleep(250);
    }
    const downStatuses = [...statuses];
    assert.ok(downStatuses.includes('202 {"status":"starting"}'),
      `${mode}: health while Postgres is down: ${JSON.stringify(downStatuses)}`);
    const lastDown = await health(E);
    assert.equal(lastDown, '202 {"status":"starting"}', `${mode}: health at the end of the outage`);
    C.start();
    const t1 = Date.now();
    await waitFor(`${mode}: health active again`, async () => (await health(E)).startsWith('200'),
      ACTIVE_BOUND_MS, 200);
    report.push(`${mode}: down ${DOWN_MS} ms, active ${Date.now() - t1} ms after the start, ` +
      `health seen ${JSON.stringify(downStatuses)}`);
    sampleRoles(E, seen);
    await waitFor(`${mode}: the writer commits again`, () => w.commits > before + 20, 20_000);
  }
  await sleep(1000);
  await w.stop();

  // Postgres decides what committed; every shape must show exactly that.
  const rows = new Map((await C.sql('SELECT id, grp, v FROM items')).map((r) => [r.id, r]));
  const [{ n: counter }] = await C.sql('SELECT n FROM counter WHERE id = 1');
  await waitFor('the followers to reach the counter', () => {
    const ch = shapes.counter.changes;
    return ch.length > 0 && Number(ch[ch.length - 1].value.n) === counter;
  }, 30_000);
  await waitFor('the client to converge', () => client.shape.currentRows.length === rows.size, 30_000);
  await sleep(2500);		// one long-poll period for late duplicates
  for (const f of Object.values(shapes)) await f.stop();

  report.push(checkItems('all', shapes.all, rows, () => true));
  report.push(checkItems('grp1', shapes.grp1, rows, (r) => r.grp === 1));
  const ns = shapes.counter.changes.map((m) => Number(m.value.n));
  assert.equal(ns[0], 0, 'counter snapshot');
  for (let i = 1; i < ns.length; i++) {
    assert.ok(ns[i] > ns[i - 1], `counter updates strictly increase: ${ns[i - 1]} then ${ns[i]}`);
  }
  assert.equal(ns[ns.length - 1], counter);
  checkOffsets('counter', shapes.counter);
  assert.deepEqual(shapes.counter.errors, []);

  const canon = (rs) => JSON.stringify(rs.map((r) => [r.id, r.grp, r.v]).sort((a, b) => a[0] - b[0]));
  assert.equal(canon(client.shape.currentRows), canon([...rows.values()]), 'client rows = Postgres');
  assert.deepEqual(client.errors, [], 'no client errors');
  client.stop();

  // Bounded restarts: each outage restarts connmgr (its lock connection
  // broke) and what comes after it; http never restarts.
  const perRole = {};
  for (const role of seen.values()) perRole[role] = (perRole[role] || 0) + 1;
  report.push(`processes per role: ${JSON.stringify(perRole)}; writer ${w.commits} commits, ` +
    `${w.failures} failures; ${rows.size} rows`);
  assert.equal(perRole.http, 1, `http is not restarted: ${JSON.stringify(perRole)}`);
  for (const [role, n] of Object.entries(perRole)) {
    assert.ok(n <= 6, `${role} had ${n} processes: ${JSON.stringify(perRole)}`);
  }
  console.log(report.join('\n'));
  const st = await E.stop(5000);
  assert.ok(st.code === 0 || st.signal === 'SIGTERM', JSON.stringify(st));
});

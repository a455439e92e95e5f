// snapshot_pool: connmgr's pool of snapshot connections, lent to the
// consumers by passing the socket (replication/pgpool.c).  Snapshots taken
// one after the other reuse one warm connection; a snapshot query that
// fails on the data gives its connection back rolled back, and it is
// reused; a consumer SIGKILLed while its snapshot waits in Postgres takes
// its loan with it: connmgr closes that connection (never lends it again),
// the restarted consumer gets another, and the client gets every row once.
// With encrypted connections (TLS) the pool cannot lend, and consumers
// connect on their own.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after } from 'node:test';
import pg from 'pg';
import {
  assert400, cleanup, createDatabase, createItems, freePort, isChange, readToEnd, scenario,
  shapeGet, sleep, startElectricd, waitFor,
} from './lib.mjs';
import { startCluster } from './pgcluster.mjs';

after(cleanup);

const APP = 'electricd-snapshot';

async function scrape(port) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = new Map();
  for (const line of text.split('\n')) {
    const [k, v] = line.split(' ');
    if (k && !k.startsWith('#')) m.set(k, Number(v));
  }
  return m;
}

/* The snapshot backends of database `name`: [{ pid, wait }]. */
async function snapshotBackends(db) {
  return db.sql(`SELECT pid, wait_event_type AS wait FROM pg_stat_activity
    WHERE datname = current_database() AND application_name = $1 AND pid <> pg_backend_pid()`, [APP]);
}

const ids = (messages) => messages.filter(isChange).map((m) => Number(m.value.id)).sort((a, b) => a - b);

scenario('snapshots one after the other reuse one warm connection', async () => {
  const db = await createDatabase('pool');
  await createItems(db, [[1, 'a', false], [2, 'b', true], [3, 'c', false]]);
  const prom = await freePort();
  const E = await startElectricd({ databaseUrl: db.url, env: { ELECTRIC_PROMETHEUS_PORT: String(prom) } });
  for (let k = 1; k <= 6; k++) {
    const s = await readToEnd(E, { table: 'items', where: `id <= ${k}` });
    assert.deepEqual(ids(s.messages), [1, 2, 3].filter((i) => i <= k), `shape id <= ${k}`);
  }
  const backends = await snapshotBackends(db);
  assert.equal(backends.length, 1, `one snapshot connection: ${JSON.stringify(backends)}`);
  const m = await waitFor('pool metrics', async () => {
    const x = await scrape(prom);
    return x.get('electricd_snapshot_pool_loans_total') >= 6 ? x : null;
  }, 10_000, 300);
  assert.equal(m.get('electricd_snapshot_pool_opened_total'), 1, 'opened once');
  assert.equal(m.get('electricd_snapshot_pool_connections'), 1);
  assert.equal(m.get('electricd_snapshot_pool_lent'), 0);
  assert.equal(m.get('electricd_snapshot_pool_waiting'), 0);
  assert.equal((E.log().match(/on a pooled connection/g) || []).length, 6, 'six pooled snapshots');

  // A query that fails on the data (SQLSTATE 22003): the shape is a 400,
  // and the connection comes back rolled back and is lent again.
  await db.sql('CREATE TABLE big (id int PRIMARY KEY, v int8)');
  await db.sql('INSERT INTO big VALUES (1, 1), (2, 9223372036854775807)');
  let r;
  for (let i = 0; i < 20; i++) {
    r = await shapeGet(E, { table: 'big', offset: '-1', where: 'v * 2 > 0' });
    if (r.status === 400) break;
    assert.ok([409, 503].includes(r.status), `${r.status} ${r.text}`);
    await sleep(200);
  }
  assert400(r, 'where', ['bigint out of range']);
  const s = await readToEnd(E, { table: 'big', where: 'v > 0' });
  assert.deepEqual(ids(s.messages), [1, 2]);
  const m2 = await waitFor('pool metrics after the failure', async () => {
    const x = await scrape(prom);
    return x.get('electricd_snapshot_pool_loans_total') >= 8 ? x : null;
  }, 10_000, 300);
  assert.equal(m2.get('electricd_snapshot_pool_opened_total'), 1, 'the failed loan came back clean');
  assert.deepEqual((await snapshotBackends(db)).map((b) => b.pid), backends.map((b) => b.pid));
  await E.stop();
});

scenario('a consumer killed with its loan: the connection is closed, never lent again', async () => {
  const db = await createDatabase('poolkill');
  await createItems(db, [[1, 'a', false], [2, 'b', true]]);
  const prom = await freePort();
  const E = await startElectricd({ databaseUrl: db.url, env: { ELECTRIC_PROMETHEUS_PORT: String(prom) } });
  await readToEnd(E, { table: 'items', where: 'id = 1' });	// one warm connection
  const [warm] = await snapshotBackends(db);
  assert.ok(warm, 'a pooled connection');

  // The next snapshot waits in Postgres behind our lock.
  const locker = new pg.Client({ connectionString: db.url });
  locker.on('error', () => {});
  await locker.connect();
  await locker.query('BEGIN');
  await locker.query('LOCK TABLE items IN ACCESS EXCLUSIVE MODE');
  const old = new Set(E.tree().filter((p) => p.role === 'consumer').map((p) => p.pid));
  const pending = readToEnd(E, { table: 'items', where: 'id > 0' }, { max: 2000 });
  pending.catch(() => {});
  await waitFor('the snapshot waiting on the lock', async () =>
    (await snapshotBackends(db)).some((b) => b.pid === warm.pid && b.wait === 'Lock'), 15_000);
  const victim = E.tree().find((p) => p.role === 'consumer' && !old.has(p.pid));
  assert.ok(victim, 'the new shape\'s consumer');
  process.kill(victim.pid, 'SIGKILL');
  // Its restart borrows again: a connection must be opened, the killed
  // one's is not lent again.
  await waitFor('a second connection', async () =>
    (await scrape(prom)).get('electricd_snapshot_pool_opened_total') >= 2, 15_000, 200);
  await locker.query('COMMIT');
  await locker.end();
  const s = await pending;
  assert.deepEqual(ids(s.messages), [1, 2], 'every row once');
  assert.ok(E.tree().some((p) => p.role === 'consumer' && !old.has(p.pid) && p.pid !== victim.pid),
    'the consumer was restarted');
  // The killed consumer's connection ends with its backend (it writes
  // into a closed socket once the lock is gone) and is not in the pool.
  await waitFor('the old backend gone', async () =>
    !(await snapshotBackends(db)).some((b) => b.pid === warm.pid), 15_000);
  const m = await scrape(prom);
  assert.ok(m.get('electricd_snapshot_pool_opened_total') >= 2, 'a new connection was opened');
  assert.ok(m.get('electricd_snapshot_pool_connections') <= 20);
  await E.stop();
});

/* A private cluster with TLS on (a self-signed certificate). */
async function tlsCluster() {
  const c = await startCluster('pooltls');
  const data = path.join(c.dir, 'data');
  execFileSync('openssl', ['req', '-new', '-x509', '-days', '2', '-nodes', '-subj', '/CN=localhost',
    '-keyout', path.join(data, 'server.key'), '-out', path.join(data, 'server.crt')], { stdio: 'ignore' });
  fs.chmodSync(path.join(data, 'server.key'), 0o600);
  const st = fs.statSync(data);
  fs.chownSync(path.join(data, 'server.key'), st.uid, st.gid);
  fs.chownSync(path.join(data, 'server.crt'), st.uid, st.gid);
  await c.sql('ALTER SYSTEM SET ssl = on');
  await c.sql('SELECT pg_reload_conf()');
  await waitFor('ssl on', async () => (await c.sql('SHOW ssl'))[0].ssl === 'on', 10_000);
  return c;
}

scenario('encrypted connections cannot be lent: consumers connect on their own', async () => {
  const c = await tlsCluster();
  await c.sql('CREATE TABLE items (id int PRIMARY KEY, title text, done bool)');
  await c.sql("INSERT INTO items VALUES (1, 'a', false), (2, 'b', true)");
  const E = await startElectricd({ databaseUrl: `${c.url}?sslmode=require` });
  for (let k = 1; k <= 3; k++) {
    const s = await readToEnd(E, { table: 'items', where: `id <= ${k}` });
    assert.deepEqual(ids(s.messages), [1, 2].filter((i) => i <= k));
  }
  const log = E.log();
  assert.match(log, /snapshot connections are encrypted and cannot be lent/);
  assert.match(log, /the pool lends no connection \(the connection is encrypted\)/);
  assert.doesNotMatch(log, /on a pooled connection/);
  const ssl = await c.sql(`SELECT count(*)::int AS n FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
    WHERE s.ssl AND a.application_name LIKE 'electricd%'`);
  assert.ok(ssl[0].n >= 1, 'electricd talks TLS to this cluster');
  await E.stop();
});

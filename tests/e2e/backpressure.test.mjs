// backpressure: one consumer is stopped (SIGSTOP) while a writer streams
// about 50 MB of changes that match its shape and others.  Postgres runs
// with wal_sender_timeout = 3s.  For the whole stall: the resident memory
// of every electricd process stays under RSS_BOUND_MB, Postgres keeps
// getting status updates (pg_stat_replication.reply_time advances, the
// walsender never changes, no "replication timeout" in either log).  After
// SIGCONT every row reaches every shape exactly once.  A second scenario
// makes the consumer slow instead (it runs 20 ms of every second).  The
// policy under test (docs/internals.md "Backpressure"): the collector stops reading
// from replication while a consumer's channel is above its high
// watermark, replication stops reading from Postgres while the
// collector's channel is, and status updates go on regardless.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after } from 'node:test';
import pg from 'pg';
import {
  cleanup, descendantsOf, follow, onCleanup, procRole, scenario, shapeGet, sleep,
  startElectricd, waitFor,
} from './lib.mjs';
import { startCluster } from './pgcluster.mjs';

after(cleanup);

const ROWS = 50_000;
const PAYLOAD = 1000;		// bytes per row: ~50 MB in all
const BATCH = 500;		// rows per transaction
const STALL_MS = 20_000;
const RSS_BOUND_MB = 40;

function rssKb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/* Inserts ROWS rows in BATCH-row transactions; grp = id % 3. */
async function write(url) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    for (let i = 0; i < ROWS; i += BATCH) {
      await c.query(`INSERT INTO items SELECT g, g % 3, repeat(md5(g::text), ${Math.floor(PAYLOAD / 32)})
        FROM generate_series($1::int, $2::int) g`, [i + 1, i + BATCH]);
    }
  } finally {
    await c.end();
  }
}

async function walsender(C) {
  const rows = await C.sql(`SELECT pid, reply_time, now() - reply_time AS age,
    extract(epoch FROM now() - reply_time) AS age_s
    FROM pg_stat_replication WHERE application_name = 'electricd-replication'`);
  return rows[0] || null;
}

/* Every id in 1..ROWS that keep() accepts, exactly once, as an insert. */
function checkOnce(name, f, keep) {
  const seen = new Map();
  for (const m of f.changes) {
    const id = Number(m.value.id);
    assert.equal(m.headers.operation, 'insert', `${name}: only inserts`);
    assert.ok(keep(id), `${name}: row ${id} does not belong here`);
    assert.ok(!seen.has(id), `${name}: row ${id} twice`);
    seen.set(id, true);
  }
  let want = 0;
  for (let id = 1; id <= ROWS; id++) if (keep(id)) want++;
  assert.equal(seen.size, want, `${name}: every row`);
  assert.deepEqual(f.errors, [], `${name}: no errors`);
}

/* kind 'stopped': the consumer is SIGSTOPped for STALL_MS; 'slow': it
 * runs 20 ms out of every second for STALL_MS, slower than the writer. */
async function run(kind) {
  const C = await startCluster(`bp-${kind}`);
  await C.sql("ALTER SYSTEM SET wal_sender_timeout = '3s'");
  await C.sql('SELECT pg_reload_conf()');
  await C.sql('CREATE TABLE items (id int PRIMARY KEY, grp int NOT NULL, payload text)');
  const E = await startElectricd({ databaseUrl: C.url, env: { ELECTRIC_LONG_POLL_TIMEOUT: '2000' } });

  const shapes = {};
  for (const [name, where] of [['all', null], ['grp1', 'grp = 1'], ['grp2', 'grp = 2']]) {
    const extra = where ? { where } : {};
    const r = await shapeGet(E, { table: 'items', offset: '-1', ...extra });
    assert.equal(r.status, 200, r.text);
    shapes[name] = follow(E, { handle: r.headers['electric-handle'], offset: '-1', extra });
    shapes[name].handle = r.headers['electric-handle'];
  }
  await waitFor('followers up to date', () => Object.values(shapes).every((f) => f.upToDate), 15_000);
  const victim = await waitFor('the consumer of "all"', () => descendantsOf(E.pid).map(procRole)
    .find((p) => p.role === 'consumer' && p.shape === shapes.all.handle));
  const ws0 = await waitFor('the walsender', () => walsender(C));

  onCleanup(() => { try { process.kill(victim.pid, 'SIGCONT'); } catch { /* gone */ } });
  process.kill(victim.pid, 'SIGSTOP');
  let duty = null;
  if (kind === 'slow') {
    duty = setInterval(() => {
      process.kill(victim.pid, 'SIGCONT');
      setTimeout(() => { if (duty) process.kill(victim.pid, 'SIGSTOP'); }, 20);
    }, 1000);
  }
  const writing = write(C.url);

  const maxRss = {};
  const replies = [];
  const t0 = Date.now();
  while (Date.now() - t0 < STALL_MS) {
    for (const p of descendantsOf(E.pid).map(procRole)) {
      const key = p.role === 'consumer' ? `consumer ${p.shape.slice(0, 8)}` : p.role || 'other';
      maxRss[key] = Math.max(maxRss[key] || 0, rssKb(p.pid));
    }
    maxRss.root = Math.max(maxRss.root || 0, rssKb(E.pid));
    const w = await walsender(C);
    assert.ok(w, `the walsender is connected after ${Date.now() - t0} ms`);
    assert.equal(w.pid, ws0.pid, 'the walsender did not change');
    replies.push(Number(w.age_s));
    await sleep(500);
  }
  if (duty) clearInterval(duty);
  duty = null;
  const mb = Object.fromEntries(Object.entries(maxRss).map(([k, v]) => [k, Math.round(v / 102.4) / 10]));
  const pauses = (E.log().match(new RegExp(`consumer ${shapes.all.handle} is behind`, 'g')) || []).length;
  console.log(`${kind}: max RSS (MB) during the stall: ${JSON.stringify(mb)}`);
  console.log(`${kind}: reply_time age (s): max ${Math.max(...replies).toFixed(2)}; ` +
    `${pauses} pauses for the consumer`);
  for (const [k, v] of Object.entries(mb)) {
    assert.ok(v < RSS_BOUND_MB, `${k}: RSS ${v} MB >= ${RSS_BOUND_MB} MB`);
  }
  assert.ok(Math.max(...replies) < 3, `reply_time ages ${JSON.stringify(replies)}`);
  assert.doesNotMatch(C.log(), /replication timeout/, 'no walsender timeout in the Postgres log');
  assert.doesNotMatch(E.log(), /replication stream:/, 'the stream never broke');
  assert.ok(pauses > 0, 'the collector paused the stream for the consumer');

  process.kill(victim.pid, 'SIGCONT');
  await writing;
  for (const [name, f] of Object.entries(shapes)) {
    await waitFor(`${name} to catch up`, () => f.changes.length >= (name === 'all' ? ROWS : ROWS / 3 - 1)
      && f.upToDate, 120_000, 500);
  }
  assert.match(E.log(), new RegExp(`consumer ${shapes.all.handle} caught up: resumed`));
  await sleep(2500);		// one long-poll period for late duplicates
  for (const f of Object.values(shapes)) await f.stop();
  checkOnce('all', shapes.all, () => true);
  checkOnce('grp1', shapes.grp1, (id) => id % 3 === 1);
  checkOnce('grp2', shapes.grp2, (id) => id % 3 === 2);
  const st = await E.stop(5000);
  assert.ok(st.code === 0 || st.signal === 'SIGTERM', JSON.stringify(st));
}

scenario('a stopped consumer: keepalives go on, memory stays bounded', { timeout: 300_000 },
  () => run('stopped'));
scenario('a slow consumer: the same, and it catches up', { timeout: 300_000 }, () => run('slow'));

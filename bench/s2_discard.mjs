// s2_discard: changes that match no shape (issue 7 scenario 2; target:
// >= 1,000,000 decoded and discarded per second, measured by replaying a
// captured pgoutput stream).
//
//   node bench/s2_discard.mjs --size smoke|full
//
// Writes T transactions of 50 rows into bench_discard (k >= 0) with a
// capture slot and a baseline slot in place, while a private electricd
// with shapes `k = -1 - i` (which no row matches) on that table is stopped
// (SIGSTOP).  Then:
//   1. bin/discard-bench capture: the raw pgoutput stream into a file;
//   2. bin/discard-bench replay: electricd's decoder (replication/
//      pgoutput.c) and router (shapecache/collector_route.c) over the
//      capture, with 0, 1k (and 10k at full size) non-matching indexed
//      shapes on the table: changes per CPU second of the replay (the
//      target; CPU time, not wall time, as the machine may be shared);
//   3. end to end, for information: SIGCONT electricd and time until its
//      slot's confirmed_flush_lsn passes the last commit, against
//      pg_recvlogical draining the same WAL (the walsender's decoding
//      bounds both).
import fs from 'node:fs';
import path from 'node:path';
import { emit, main, now, pgRecvlogicalDrain, pool, readToEnd, ROOT, run, say, signalPids,
  diffByRole, startElectricd, startPostgres, tcpQueuedBytes, waitSlotConfirmed } from './lib.mjs';

const SIZES = {
  smoke: { txs: 300, shapes: [0, 1000], e2eShapes: 3, secs: 0.3 },
  full: { txs: 20000, shapes: [0, 1000, 10000], e2eShapes: 100, secs: 3 },
};
const BENCH = process.env.DISCARD_BENCH || path.join(ROOT, 'bin/discard-bench');

await main(async (args) => {
  const size = SIZES[args.size];
  if (!fs.existsSync(BENCH)) throw new Error(`${BENCH} is missing: make bin/discard-bench`);
  const db = await startPostgres('s2', { max_wal_size: '4GB', wal_sender_timeout: '600s' });
  await db.sql('CREATE TABLE bench_discard (id bigint PRIMARY KEY, k int NOT NULL, v text)');
  const e = await startElectricd(db.url, { ELECTRIC_SHAPE_SUSPEND_TIMEOUT: '0' });
  const ks = Array.from({ length: size.e2eShapes }, (_, i) => -1 - i);
  await pool(ks, 8, (k) => readToEnd(e.url, { table: 'bench_discard', where: `k = ${k}` }));
  const pub = `electric_publication_${e.streamId}`;
  const slot = `electric_slot_${e.streamId}`;
  await db.sql("SELECT pg_create_logical_replication_slot('bench_cap', 'pgoutput')");
  await db.sql("SELECT pg_create_logical_replication_slot('bench_base', 'pgoutput')");

  const tree = e.tree();
  const signal = (sig) => signalPids(tree, sig);
  signal('SIGSTOP');
  let w;
  try {
    w = await writeWorkload(db, size.txs);
  } finally {
    signal('SIGCONT');
  }
  // SIGCONT above only so that a failure never leaves it stopped; stop it
  // again until the end-to-end part (it has read little in the meantime).
  signal('SIGSTOP');
  say(`wrote ${w.rows} rows in ${size.txs} transactions in ${w.ms.toFixed(0)} ms`);

  const file = path.join(db.dir, 'capture.bin');
  const cap = run(BENCH, ['capture', db.url, 'bench_cap', pub, w.lsnPre, file]);
  if (cap.status !== 0) { signal('SIGCONT'); throw new Error(`capture: ${cap.stderr}`); }
  say(`captured ${cap.stdout.trim()} messages (${(fs.statSync(file).size / 2 ** 20).toFixed(1)} MiB) in ${cap.ms.toFixed(0)} ms`);
  for (const n of size.shapes) {
    const r = run(BENCH, ['replay', file, 'bench_discard', String(n), String(size.secs)]);
    if (r.status !== 0) { signal('SIGCONT'); throw new Error(`replay: ${r.stderr}`); }
    const res = JSON.parse(r.stdout);
    if (res.routed !== 0) throw new Error(`replay routed ${res.routed} changes to shapes`);
    say(`replay with ${n} shapes: ${JSON.stringify(res)}`);
    emit({ scenario: 2, name: `decode+discard, ${n} shapes on the table`, metric: 'changes/CPU s',
      baseline: 'target', baseline_value: 1e6, value: res.changes_per_cpu_s, target: '>= 1e6/s',
      pass: args.size === 'full' ? res.changes_per_cpu_s >= 1e6 : null, size: args.size,
      changes_per_wall_s: res.changes_per_s });
  }

  let base;
  try {
    base = await pgRecvlogicalDrain(db, 'bench_base', pub, w.lsnPre);
  } catch (err) {
    signal('SIGCONT');
    throw err;
  }
  const queued = tcpQueuedBytes(db.port);
  const cpu0 = e.cpuByRole();
  const t0 = now();
  signal('SIGCONT');
  await waitSlotConfirmed(db, slot, w.lsnPre);
  const ms = now() - t0;
  const byRole = diffByRole(cpu0, e.cpuByRole());
  say(`end to end: pg_recvlogical ${base.drainMs.toFixed(0)} ms (+ ${base.startupMs.toFixed(0)} ms ` +
    `start), electricd ${ms.toFixed(0)} ms (${queued} B already decoded into socket buffers; ` +
    `CPU ms by role ${JSON.stringify(byRole)})`);
  emit({ scenario: 2, name: `end to end, ${size.e2eShapes} shapes (info)`, metric: 'changes/s',
    baseline: 'pg_recvlogical', baseline_value: w.rows / (base.drainMs / 1000),
    value: w.rows / (ms / 1000), target: '-', pass: null, size: args.size, queued_bytes: queued,
    cpu_ms_by_role: byRole });
});

async function writeWorkload(db, txs) {
  const c = await db.client();
  let id = 0, rows = 0;
  const tx = () => {
    const vals = [];
    for (let i = 0; i < 50; i++, id++) vals.push(`(${id},${id % 1000},'${'d'.repeat(60)}${id}')`);
    rows += 50;
    return `BEGIN;INSERT INTO bench_discard VALUES ${vals.join(',')};COMMIT;`;
  };
  const t0 = now();
  for (let done = 0; done < txs - 1;) {
    const batch = [];
    for (let i = 0; i < 50 && done < txs - 1; i++, done++) batch.push(tx());
    await c.query(batch.join(''));
  }
  await c.query(tx().replace(/COMMIT;$/, ''));
  const lsnPre = (await c.query('SELECT pg_current_wal_insert_lsn()::text AS l')).rows[0].l;
  await c.query('COMMIT');
  await c.end();
  return { rows, lsnPre, ms: now() - t0 };
}


// s1_ingest: ingest of small transactions with 1, 1k and 10k `k = const`
// shapes (issue 7 scenario 1; target: electricd rows/s >= 0.9 x the rate
// pg_recvlogical drains the same WAL).
//
//   node bench/s1_ingest.mjs --size smoke|full [--shapes 1,1000] [--txs T]
//
// Per shape count N: a table bench_ingest (id, k, v ~80 B); shapes
// `k = 1` .. `k = N` registered over HTTP; a second slot (pgoutput) for
// the baseline.  Then electricd's whole process tree is stopped (SIGSTOP)
// while T transactions of 10..100 rows (k uniform over 1..N, so every row
// belongs to exactly one shape) are written, so both readers face the same
// WAL backlog:
//   baseline:  pg_recvlogical -o proto_version=1 -o publication_names=<the
//              electricd publication> drains the baseline slot to the end
//              (electricd still stopped), minus the time the same command
//              takes with nothing to read (start and connection);
//   electricd: SIGCONT, time until the slot's confirmed_flush_lsn passes
//              the last commit, i.e. every consumer has durably written
//              every row (confirmed_flush only advances that far then).
// Bias: the walsender of the stopped electricd has already decoded what
// fits into the TCP buffers (up to ~10 MiB; reported as queued_bytes), so
// the full size writes ~140 MB of changes to keep that small.
// Checks afterwards that shape k = 1 holds exactly the rows with k = 1.
import { diffByRole, emit, main, now, pgRecvlogicalDrain, pool, readToEnd, rng, runAsync, say, signalPids, sleep, startElectricd,
  startPostgres, tcpQueuedBytes, waitSlotConfirmed } from './lib.mjs';

const SIZES = {
  smoke: { shapes: [1, 4], txs: 200 },
  full: { shapes: [1, 1000, 10000], txs: 20000 },
};

await main(async (args) => {
  const size = SIZES[args.size];
  const sweep = args.shapes ? String(args.shapes).split(',').map(Number) : size.shapes;
  const txs = Number(args.txs ?? size.txs);
  const db = await startPostgres('s1', { max_wal_size: '4GB', wal_sender_timeout: '600s' });
  for (const n of sweep) await oneRun(db, args.size, n, txs);
});

async function oneRun(db, sizeName, nShapes, txs) {
  await db.sql('DROP TABLE IF EXISTS bench_ingest');
  await db.sql('CREATE TABLE bench_ingest (id bigint PRIMARY KEY, k int NOT NULL, v text)');
  const e = await startElectricd(db.url, {
    ELECTRIC_MAX_INITIAL_REQUESTS: '2000',
    ELECTRIC_SHAPE_SUSPEND_TIMEOUT: '0',
    ELECTRIC_DB_POOL_SIZE: '8',
  });
  const t0 = now();
  const ks = Array.from({ length: nShapes }, (_, i) => i + 1);
  await pool(ks, 16, (k) => readToEnd(e.url, { table: 'bench_ingest', where: `k = ${k}` }));
  say(`N=${nShapes}: ${nShapes} shapes registered in ${((now() - t0) / 1000).toFixed(1)} s`);
  const pub = `electric_publication_${e.streamId}`;
  const slot = `electric_slot_${e.streamId}`;
  await db.sql("SELECT pg_create_logical_replication_slot('bench_base', 'pgoutput')");

  const tree = e.tree();
  signalPids(tree, 'SIGSTOP');
  let rows, lsnPre, writeMs;
  try {
    ({ rows, lsnPre, writeMs } = await writeWorkload(db, nShapes, txs));
    say(`N=${nShapes}: wrote ${rows} rows in ${txs} transactions in ${writeMs.toFixed(0)} ms`);
  } catch (err) {
    signalPids(tree, 'SIGCONT');
    throw err;
  }
  let base;
  try {
    base = await pgRecvlogicalDrain(db, 'bench_base', pub, lsnPre);
  } catch (err) {
    signalPids(tree, 'SIGCONT');
    throw err;
  }
  const queued = tcpQueuedBytes(db.port);
  const cpu0 = e.cpuByRole();
  // BENCH_PERF_ALL=file: perf record -a -g of the whole machine during the drain.
  const perf = process.env.BENCH_PERF_ALL ?
    runAsync('perf', ['record', '-a', '-g', '-o', process.env.BENCH_PERF_ALL]) :
    process.env.BENCH_PERF_SYS ? runAsync('perf', ['record', '-a', '-o', process.env.BENCH_PERF_SYS,
      '-e', 'syscalls:sys_enter_fdatasync,syscalls:sys_enter_epoll_wait,sched:sched_switch']) :
    process.env.BENCH_PERF_STAT ? runAsync('perf', ['stat', '-a', '-o', process.env.BENCH_PERF_STAT,
      '-e', 'syscalls:sys_enter_fdatasync,syscalls:sys_enter_pwrite64,syscalls:sys_enter_epoll_wait,' +
      'syscalls:sys_enter_sendmsg,syscalls:sys_enter_recvmsg,syscalls:sys_enter_epoll_ctl,context-switches']) : null;
  if (perf) await sleep(1000);
  const t1 = now();
  signalPids(tree, 'SIGCONT');
  await waitSlotConfirmed(db, slot, lsnPre).catch((err) => { throw new Error(`${err.message}\n${e.logTail()}`); });
  const elMs = now() - t1;
  if (perf) { perf.child.kill('SIGINT'); await perf.done; }
  const byRole = diffByRole(cpu0, e.cpuByRole());
  const cpuMs = Object.values(byRole).reduce((a, b) => a + b, 0);
  say(`N=${nShapes}: pg_recvlogical ${base.drainMs.toFixed(0)} ms (+ ${base.startupMs.toFixed(0)} ms ` +
    `start), electricd ${elMs.toFixed(0)} ms (CPU ${cpuMs.toFixed(0)} ms; ${queued} B were already ` +
    `decoded into socket buffers); CPU ms by role ${JSON.stringify(byRole)}`);
  await verify(db, e);
  emit({
    scenario: 1, name: `ingest ${nShapes} shapes`, metric: 'rows/s', baseline: 'pg_recvlogical',
    baseline_value: rows / (base.drainMs / 1000), value: rows / (elMs / 1000), target: 'ratio >= 0.9',
    pass: sizeName === 'full' ? base.drainMs / elMs >= 0.9 : null, size: sizeName,
    plot: 'shapes', x: nShapes, rows, txs, electricd_cpu_ms: Math.round(cpuMs), cpu_ms_by_role: byRole,
    baseline_startup_ms: Math.round(base.startupMs), queued_bytes: queued,
  });
  await e.stop();
  // The stopped electricd's slot would hold WAL for the next points.
  await db.sql('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots ' +
    "WHERE slot_name IN ('bench_base', $1)", [slot]);
}

/* txs transactions of 10..100 rows (deterministic), batched 50 per round
 * trip; the last one alone, reading the WAL insert position after its
 * INSERT (before its commit record). */
async function writeWorkload(db, nShapes, txs) {
  const c = await db.client();
  let id = 0, rows = 0;
  const rnd = rng(12345);
  const tx = () => {
    const m = 10 + (rnd() % 91);
    const vals = [];
    for (let i = 0; i < m; i++) {
      vals.push(`(${++id},${1 + (rnd() % nShapes)},'${'v'.repeat(60)}${id}')`);
    }
    rows += m;
    return `BEGIN;INSERT INTO bench_ingest VALUES ${vals.join(',')};COMMIT;`;
  };
  const t0 = now();
  for (let done = 0; done < txs - 1;) {
    const batch = [];
    for (let i = 0; i < 50 && done < txs - 1; i++, done++) batch.push(tx());
    await c.query(batch.join(''));
  }
  const last = tx().replace(/COMMIT;$/, '');
  await c.query(last);
  const lsnPre = (await c.query('SELECT pg_current_wal_insert_lsn()::text AS l')).rows[0].l;
  await c.query('COMMIT');
  const writeMs = now() - t0;
  await c.end();
  return { rows, lsnPre, writeMs };
}


/* Shape k = 1 must hold exactly the rows with k = 1. */
async function verify(db, e) {
  const want = Number((await db.sql('SELECT count(*) AS n FROM bench_ingest WHERE k = 1'))[0].n);
  const got = await readToEnd(e.url, { table: 'bench_ingest', where: 'k = 1' });
  if (got.rows !== want) throw new Error(`shape k = 1 has ${got.rows} inserts, table ${want} rows`);
}

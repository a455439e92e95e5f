// s5_many_clients: C concurrent clients each creating a different 500-row
// shape (issue 7 scenario 5; target: all synced within 3 s with C = 2000).
//
//   node bench/s5_many_clients.mjs --size smoke|full [--clients C]
//
// A table of C x 500 rows (1M at full size) with an index on grp; client
// k reads the shape `grp = k` from offset -1 to up-to-date (raw HTTP,
// following offsets, retrying 503/429 after 50..150 ms as the npm client
// would after its back-off).  All clients start at once; the figure is the
// time until the last one is up to date.  ELECTRIC_MAX_INITIAL_REQUESTS is
// raised to C (its default, 300, would turn most of them away with 503).
// Also reported: the median client's time, the number of 503 retries and
// of network errors retried (a client gives up after 5 in a row).
import { emit, main, now, percentile, readToEnd, say, startElectricd, startPostgres } from './lib.mjs';

const SIZES = { smoke: { clients: 40 }, full: { clients: 2000 } };
const PER = 500;

await main(async (args) => {
  const clients = Number(args.clients ?? SIZES[args.size].clients);
  const db = await startPostgres('s5', { max_connections: '300' });
  await db.sql('CREATE TABLE bench_many (id bigint PRIMARY KEY, grp int NOT NULL, v text)');
  await db.sql(`INSERT INTO bench_many SELECT g, g % ${clients}, md5(g::text) || md5((g + 1)::text)
    FROM generate_series(1, ${clients * PER}) g`);
  await db.sql('CREATE INDEX ON bench_many (grp)');
  await db.sql('VACUUM ANALYZE bench_many');
  const e = await startElectricd(db.url, {
    ELECTRIC_MAX_INITIAL_REQUESTS: String(Math.max(clients, 300)),
    ELECTRIC_SHAPE_SUSPEND_TIMEOUT: '0',
    ...(process.env.BENCH_LOG_LEVEL ? { ELECTRIC_LOG_LEVEL: process.env.BENCH_LOG_LEVEL } : {}),
  });
  const cpu0 = e.cpuMs();
  const t0 = now();
  const res = await Promise.all(Array.from({ length: clients }, async (_, k) => {
    const r = await readToEnd(e.url, { table: 'bench_many', where: `grp = ${k}` });
    if (r.rows !== PER) throw new Error(`shape grp = ${k}: ${r.rows} rows, not ${PER}`);
    return { ...r, done: now() - t0 };
  }));
  const total = now() - t0;
  const cpuMs = e.cpuMs() - cpu0;	// live processes only: the consumers stay up
  const done = res.map((r) => r.done);
  const retries = res.reduce((a, r) => a + r.requests, 0) - 2 * clients;
  const netErrors = res.reduce((a, r) => a + r.errors, 0);
  say(`${clients} clients synced in ${(total / 1000).toFixed(2)} s (median client ` +
    `${(percentile(done, 0.5) / 1000).toFixed(2)} s); ${res.reduce((a, r) => a + r.requests, 0)} requests; ` +
    `${netErrors} network errors retried; electricd now ${e.mem().n} processes, ` +
    `${(cpuMs / clients).toFixed(1)} ms CPU per shape`);
  emit({ scenario: 5, name: `${clients} clients x ${PER}-row shapes, all synced`, metric: 's',
    baseline: 'target', baseline_value: 3, value: total / 1000, target: '<= 3 s',
    pass: args.size === 'full' ? total <= 3000 : null, size: args.size,
    median_client_s: Math.round(percentile(done, 0.5)) / 1000, extra_requests: retries,
    network_errors: netErrors,
    electricd_cpu_ms_per_shape: Math.round(cpuMs / clients * 10) / 10 });
});

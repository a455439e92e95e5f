// s3_latency: commit -> long-poll response with many independent
// `id = k` shapes (issue 7 scenario 3; target: added by electricd p50
// <= 1 ms, p99 <= 5 ms).
//
//   node bench/s3_latency.mjs --size smoke|full [--shapes N] [--samples S]
//
// N rows and N shapes `id = k` (10k at full size), each read to its end.
// A pg_recvlogical runs all along on a slot of its own (the baseline: the
// same commit reaching a plain logical-replication client).  Per sample:
// a live request on a random shape is parked (20 ms), then an UPDATE of
// that row is committed (synchronous_commit = on: otherwise decoding waits
// for the WAL writer).  Times from the moment the UPDATE is sent:
//   baseline  = pg_recvlogical has written the transaction's Commit
//   electricd = the live response has arrived.
// "added by electricd" is electricd - baseline per sample (both watch the
// same commit from this process); its p50 and p99 are the figures.
// Before electricd starts, bin/wakefloor (bench/wakefloor.c) measures the
// floor under them: waking one of N idle processes, cold against warm
// (every shape has a consumer process; the commit wakes one of N).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT, diffByRole, emit, main, now, onCleanup, percentile, pgBin, pool, readToEnd, rng, run, say,
  shapeGet, sleep, startElectricd, startPostgres } from './lib.mjs';

const WAKEFLOOR = process.env.WAKEFLOOR_BIN || path.join(ROOT, 'bin/wakefloor');

const SIZES = {
  smoke: { shapes: 20, samples: 30 },
  full: { shapes: 10000, samples: 300 },
};

await main(async (args) => {
  const size = SIZES[args.size];
  const nShapes = Number(args.shapes ?? size.shapes);
  const samples = Number(args.samples ?? size.samples);
  const db = await startPostgres('s3');
  await db.sql('CREATE TABLE bench_lat (id int PRIMARY KEY, v text)');
  await db.sql(`INSERT INTO bench_lat SELECT g, repeat('x', 80) FROM generate_series(1, ${nShapes}) g`);
  const floor = wakeFloor(nShapes, samples);
  say(`waking one of ${nShapes} idle processes: p50 ${floor.p50_us} us, p99 ${floor.p99_us} us ` +
    `(one warm process: ${floor.warm_p50_us} / ${floor.warm_p99_us} us)`);
  const e = await startElectricd(db.url, {
    ELECTRIC_MAX_INITIAL_REQUESTS: '2000', ELECTRIC_SHAPE_SUSPEND_TIMEOUT: '0',
  });
  const t0 = now();
  const ids = Array.from({ length: nShapes }, (_, i) => i + 1);
  const shapes = await pool(ids, 16, async (k) => {
    const r = await readToEnd(e.url, { table: 'bench_lat', where: `id = ${k}` });
    if (r.rows !== 1) throw new Error(`shape id = ${k}: ${r.rows} rows`);
    return { k, handle: r.handle, offset: r.offset };
  });
  say(`${nShapes} shapes registered in ${((now() - t0) / 1000).toFixed(1)} s; ` +
    `electricd: ${e.mem().n} processes`);

  const pub = `electric_publication_${e.streamId}`;
  await db.sql("SELECT pg_create_logical_replication_slot('bench_lat', 'pgoutput')");
  const rl = startRecvlogical(db, pub);
  onCleanup(rl.kill);
  await sleep(500);

  const c = await db.client();
  await c.query('SET synchronous_commit = on');
  const lat = { electricd: [], baseline: [], added: [] };
  const rnd = rng(42);
  const cpu0 = e.cpuByRole();
  let timeouts = 0;
  for (let i = 0; i < samples; i++) {
    const s = shapes[rnd() % shapes.length];
    const live = shapeGet(e.url, { table: 'bench_lat', where: `id = ${s.k}`, handle: s.handle,
      offset: s.offset, live: 'true' });
    await sleep(20);
    const committed = rl.nextCommit();
    const ts = now();
    await c.query('UPDATE bench_lat SET v = $1 WHERE id = $2', [`v${i}`.padEnd(80, 'y'), s.k]);
    const [res, tb] = await Promise.all([live, committed]);
    if (res.headers['electric-offset']) s.offset = res.headers['electric-offset'];
    if (!res.body.includes('"update"')) {
      if (++timeouts > 20) throw new Error(`live requests without the update: ${res.status}`);
      i--;
      continue;
    }
    const el = res.at - ts, bl = tb - ts;
    lat.electricd.push(el);
    lat.baseline.push(bl);
    lat.added.push(el - bl);
  }
  await c.end();
  // electricd's CPU per sample by role (10 ms ticks per process).
  const cpu = diffByRole(cpu0, e.cpuByRole());
  const perSample = Object.fromEntries(Object.entries(cpu).filter(([, v]) => v > 0)
    .map(([k, v]) => [k, Math.round((v * 1000) / samples)]));
  say(`electricd CPU per sample, us: ${JSON.stringify(perSample)}`);
  const p = (xs, q) => percentile(xs, q);
  say(`electricd p50 ${p(lat.electricd, 0.5).toFixed(2)} p99 ${p(lat.electricd, 0.99).toFixed(2)} ms; ` +
    `pg_recvlogical p50 ${p(lat.baseline, 0.5).toFixed(2)} p99 ${p(lat.baseline, 0.99).toFixed(2)} ms`);
  for (const [q, lim] of [[0.5, 1], [0.99, 5]]) {
    const tag = q === 0.5 ? 'p50' : 'p99';
    emit({ scenario: 3, name: `commit->live response, ${nShapes} shapes, ${tag}`, metric: 'ms',
      baseline: 'pg_recvlogical', baseline_value: p(lat.baseline, q), value: p(lat.electricd, q),
      added_ms: Math.round(p(lat.added, q) * 1000) / 1000, target: `added ${tag} <= ${lim} ms`,
      pass: args.size === 'full' ? p(lat.added, q) <= lim : null, size: args.size, samples,
      cpu_us_per_sample: perSample, wake_floor_us: q === 0.5 ? floor.p50_us : floor.p99_us,
      wake_floor_warm_us: q === 0.5 ? floor.warm_p50_us : floor.warm_p99_us });
  }
});

/* bin/wakefloor's JSON line for n processes. */
function wakeFloor(n, samples) {
  const r = run(WAKEFLOOR, [String(n), String(samples)]);
  if (r.status !== 0) throw new Error(`${WAKEFLOOR}: ${r.stderr || r.status} (make bin/wakefloor)`);
  return JSON.parse(r.stdout);
}

/* pg_recvlogical writing the slot's messages to a pipe.  nextCommit()
 * resolves with the time the next Commit message has been read: each
 * message is written as its bytes plus '\n'; a pgoutput v1 Commit is 26
 * bytes starting with 'C' and a zero flags byte. */
function startRecvlogical(db, pub) {
  const child = spawn(pgBin('pg_recvlogical'), ['-d', db.url, '--slot', 'bench_lat', '--start',
    '-o', 'proto_version=1', '-o', `publication_names=${pub}`, '-f', '-', '--no-loop'],
  { stdio: ['ignore', 'pipe', 'inherit'] });
  let tail = Buffer.alloc(0);
  let waiter = null;
  child.stdout.on('data', (d) => {
    const at = now();
    tail = Buffer.concat([tail, d]).subarray(-64);
    const n = tail.length;
    if (waiter && n >= 27 && tail[n - 1] === 10 && tail[n - 27] === 0x43 && tail[n - 26] === 0) {
      const w = waiter;
      waiter = null;
      w(at);
    }
  });
  return {
    nextCommit: () => new Promise((resolve) => { waiter = resolve; }),
    kill: () => { try { child.kill('SIGKILL'); } catch { /* gone */ } },
  };
}

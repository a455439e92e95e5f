// s4_initial_sync: initial sync of a large shape to one client, all chunks
// (issue 7 scenario 4; target: <= 2 x the time of `COPY (SELECT ...) TO
// STDOUT` of the same rows).
//
//   node bench/s4_initial_sync.mjs --size smoke|full [--rows N]
//
// A table of N rows of ~100 B (1M at full size).  Baseline: psql -c
// "COPY (SELECT id, grp, v FROM bench_sync) TO STDOUT" > /dev/null.
// electricd: a fresh shape of the whole table requested with offset=-1 and
// followed chunk by chunk to up-to-date with curl (one process per
// request, body to /dev/null: node's HTTP client costs more than electricd
// here); the time includes the shape's creation, its consumer's start and
// snapshot.  A second read of the same shape (served from its files, no
// snapshot; node:http, every row counted and checked) is reported for
// information.  The phases (shape created, snapshot started and done, in
// ms after the first request) come from electricd's info log.
import fs from 'node:fs';
import { curlReadToEnd, emit, main, pgBin, readToEnd, run, say, startElectricd, startPostgres } from './lib.mjs';

const SIZES = { smoke: { rows: 20000 }, full: { rows: 1000000 } };

await main(async (args) => {
  const rows = Number(args.rows ?? SIZES[args.size].rows);
  const db = await startPostgres('s4');
  await db.sql('CREATE TABLE bench_sync (id bigint PRIMARY KEY, grp int NOT NULL, v text)');
  await db.sql(`INSERT INTO bench_sync SELECT g, g % 2000, md5(g::text) || md5((g + 1)::text) || 'abcdefghijklmnopqrst'
    FROM generate_series(1, ${rows}) g`);
  await db.sql('VACUUM ANALYZE bench_sync');
  const copy = () => run(pgBin('psql'), ['-X', '-q', '-d', db.url, '-c',
    'COPY (SELECT id, grp, v FROM bench_sync) TO STDOUT'], { stdio: ['ignore', 'ignore', 'pipe'] });
  copy();	// warm the cache
  const base = copy();
  if (base.status !== 0) throw new Error(`psql: ${base.stderr}`);
  const e = await startElectricd(db.url, { ELECTRIC_LOG_LEVEL: 'info' });
  const wall0 = Date.now();
  const r = curlReadToEnd(e.url, { table: 'bench_sync' });
  const ph = phases(e.logPath, wall0);
  say(`phases (ms from the first request): ${JSON.stringify(ph)}`);
  say(`COPY ${base.ms.toFixed(0)} ms; electricd ${r.ms.toFixed(0)} ms, ${r.requests} requests, ` +
    `${(r.bytes / 2 ** 20).toFixed(1)} MiB`);
  emit({ scenario: 4, name: `initial sync ${rows} rows`, metric: 's', baseline: 'COPY TO STDOUT',
    baseline_value: base.ms / 1000, value: r.ms / 1000, target: 'ratio <= 2',
    pass: args.size === 'full' ? r.ms / base.ms <= 2 : null, size: args.size,
    requests: r.requests, bytes: r.bytes, phases_ms: ph });
  // Again, from the files (catch-up of a shape that exists: no snapshot),
  // with node:http, counting the rows.
  const again = await readToEnd(e.url, { table: 'bench_sync' });
  if (again.rows !== rows) throw new Error(`shape has ${again.rows} rows, table ${rows}`);
  emit({ scenario: 4, name: `catch-up read ${rows} rows (info)`, metric: 's', baseline: 'COPY TO STDOUT',
    baseline_value: base.ms / 1000, value: again.ms / 1000, target: '-', pass: null, size: args.size });
});

/* When the shape was created, its snapshot started and ended, in ms after
 * wall0, from electricd's info log lines ("HH:MM:SS.mmm" local time). */
function phases(logPath, wall0) {
  const day = new Date(wall0);
  const at = (re) => {
    const line = fs.readFileSync(logPath, 'utf8').split('\n').find((l) => re.test(l));
    const m = line && /^(\d\d):(\d\d):(\d\d)\.(\d\d\d)/.exec(line);
    if (!m) return null;
    const t = new Date(day);
    t.setHours(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]));
    return t.getTime() - wall0;
  };
  return { shape_created: at(/created shape/), snapshot_start: at(/taking the snapshot/),
    snapshot_done: at(/snapshot: \d+ rows/) };
}

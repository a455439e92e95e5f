// s4_initial_sync: initial sync of a large shape to one client, all chunks
// (issue 7 scenario 4; target: <= 2 x the time of `COPY (SELECT ...) TO
// STDOUT` of the same rows).
//
//   node bench/s4_initial_sync.mjs --size smoke|full [--rows N]
//
// A table of N rows of ~100 B (1M at full size).  Baseline: psql -c
// "COPY (SELECT id, grp, v FROM bench_sync) TO STDOUT" > /dev/null: one
// client process, one connection, the rows thrown away.  electricd: a
// fresh shape of the whole table requested with offset=-1 and followed
// chunk by chunk to up-to-date by a client just as cheap: bin/follow
// (bench/follow.c), one process, one keep-alive connection, bodies thrown
// away.  Both times are wall times of the client process, spawn
// included.  electricd's includes the shape's creation, its consumer's
// start and snapshot.  For information, each on a fresh shape of the same
// rows (`id > N` with N below every id): the same with node:http (this
// process, keep-alive, bodies counted in bytes: the client takes more CPU
// than electricd, on the same 2 cores), and with curl, one process and
// connection per request (each spawn costs this node process 10-40 ms
// here, about 25 requests); and a second read of the first shape (served
// from its files, no snapshot; node:http, every row counted and checked).
// The phases (shape created, snapshot started and done, in ms after the
// first request) come from electricd's info log.
import fs from 'node:fs';
import path from 'node:path';
import { curlReadToEnd, emit, main, pgBin, readToEnd, ROOT, run, say, startElectricd, startPostgres }
  from './lib.mjs';

const FOLLOW = process.env.FOLLOW_BIN || path.join(ROOT, 'bin/follow');

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
  if (!fs.existsSync(FOLLOW)) throw new Error(`${FOLLOW} is missing: make bin/follow`);
  const e = await startElectricd(db.url, { ELECTRIC_LOG_LEVEL: 'info' });
  const follow = (query) => {
    const u = new URL(e.url);
    const f = run(FOLLOW, [u.hostname, u.port, `/v1/shape?${new URLSearchParams(query)}`]);
    if (f.status !== 0) throw new Error(`follow: ${f.stderr}`);
    return { ...JSON.parse(f.stdout), ms: f.ms };
  };
  const wall0 = Date.now();
  const r = follow({ table: 'bench_sync' });
  const ph = phases(e.logPath, wall0);
  say(`phases (ms from the first request): ${JSON.stringify(ph)}`);
  say(`COPY ${base.ms.toFixed(0)} ms; electricd ${r.ms.toFixed(0)} ms, ${r.requests} requests, ` +
    `${(r.bytes / 2 ** 20).toFixed(1)} MiB`);
  emit({ scenario: 4, name: `initial sync ${rows} rows`, metric: 's', baseline: 'COPY TO STDOUT',
    baseline_value: base.ms / 1000, value: r.ms / 1000, target: 'ratio <= 2',
    pass: args.size === 'full' ? r.ms / base.ms <= 2 : null, size: args.size,
    requests: r.requests, bytes: r.bytes, phases_ms: ph });
  const others = [
    ['node:http', () => readToEnd(e.url, { table: 'bench_sync', where: 'id > -1' }, { discard: true })],
    ['curl per request', () => curlReadToEnd(e.url, { table: 'bench_sync', where: 'id > -2' })],
  ];
  for (const [name, fn] of others) {
    const c = await fn();
    say(`the same with ${name}: ${c.ms.toFixed(0)} ms, ${c.requests} requests`);
    emit({ scenario: 4, name: `initial sync ${rows} rows, ${name} (info)`, metric: 's',
      baseline: 'COPY TO STDOUT', baseline_value: base.ms / 1000, value: c.ms / 1000, target: '-',
      pass: null, size: args.size, requests: c.requests, bytes: c.bytes });
  }
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

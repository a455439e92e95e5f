// s9_catchup_nginx: issue 7 scenario 9, catch-up serving of a completed
// 10 MiB chunk against nginx serving the same bytes as a static file (run
// by bench/run.mjs; `node bench/s9_catchup_nginx.mjs --size smoke|full`).
//
// A shape of ~1.1 KB rows spans several chunks (full: the default
// ELECTRIC_SHAPE_CHUNK_BYTES_THRESHOLD of 10 MiB; smoke: 1 MiB); the
// request offset=0_0&handle=H answers chunk 1, complete and in the middle
// of the snapshot.  Its body is saved as a file that nginx (one worker,
// sendfile on) serves.  The same client, wrk with 2 threads and 4
// keep-alive connections (wrk is required: a node client could not load
// nginx evenly here), loads each server for `secs` seconds,
// alternating, `reps` times; the figures are the medians.  Ratio =
// electricd MB/s / nginx MB/s (target >= 0.8); req/s rides along.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { haveNginx, startNginx } from './nginx.mjs';
import {
  emit, freePort, main, percentile, readToEnd, run, say, shapeGet, startElectricd, startPostgres,
} from './lib.mjs';

const SIZES = {
  smoke: { chunk: 1 << 20, rows: 2400, secs: 2, reps: 1 },
  full: { chunk: 10 << 20, rows: 22000, secs: 8, reps: 3 },
};

/* wrk against url: { rps, mbps } (MB = 2^20 bytes). */
function wrk(url, secs) {
  const r = run('wrk', ['-t', '2', '-c', '4', '-d', `${secs}s`, url]);
  if (r.status !== 0) throw new Error(`wrk: ${r.stderr}`);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1]);
  const t = /Transfer\/sec:\s+([\d.]+)(B|KB|MB|GB)/.exec(r.stdout);
  const mbps = Number(t?.[1]) * { B: 1 / 1048576, KB: 1 / 1024, MB: 1, GB: 1024 }[t?.[2]];
  const bad = /Non-2xx or 3xx responses:\s+(\d+)/.exec(r.stdout);
  if (bad) throw new Error(`${url}: ${bad[1]} non-2xx answers`);
  return { rps, mbps };
}

main(async (args) => {
  const sz = SIZES[args.size];
  if (!haveNginx()) throw new Error('nginx is not installed (scripts/deps.sh)');
  if (spawnSync('wrk', ['--version']).error) throw new Error('wrk is not installed (scripts/deps.sh)');
  const pgc = await startPostgres('s9');
  const e = await startElectricd(pgc.url, { ELECTRIC_SHAPE_CHUNK_BYTES_THRESHOLD: String(sz.chunk) });
  await pgc.sql('CREATE TABLE big (id int PRIMARY KEY, v text)');
  await pgc.sql(`INSERT INTO big SELECT g, repeat(md5(g::text), 31) FROM generate_series(1, ${sz.rows}) g`);
  const all = await readToEnd(e.url, { table: 'big' });
  const q = new URLSearchParams({ table: 'big', offset: '0_0', handle: all.handle });
  const target = `${e.url}/v1/shape?${q}`;
  const one = await shapeGet(e.url, Object.fromEntries(q));
  if (one.status !== 200) throw new Error(`chunk 1: ${one.status}`);
  const bytes = one.body.length;
  say(`chunk 1 is ${(bytes / 1048576).toFixed(2)} MiB (${all.requests} requests to read the shape)`);

  const port = await freePort();
  const n = await startNginx('s9', `
    sendfile on;
    tcp_nopush on;
    server {
        listen 127.0.0.1:${port};
        root @PREFIX@/www;
        location / { }
    }`, port);
  fs.mkdirSync(path.join(n.prefix, 'www'));
  fs.writeFileSync(path.join(n.prefix, 'www', 'chunk.json'), one.body);
  const staticUrl = `http://127.0.0.1:${port}/chunk.json`;

  const ours = [], theirs = [];
  for (let i = 0; i < sz.reps; i++) {
    theirs.push(wrk(staticUrl, sz.secs));
    ours.push(wrk(target, sz.secs));
    say(`rep ${i + 1}: nginx ${theirs[i].mbps.toFixed(0)} MB/s ${theirs[i].rps.toFixed(1)} req/s, ` +
      `electricd ${ours[i].mbps.toFixed(0)} MB/s ${ours[i].rps.toFixed(1)} req/s`);
  }
  const med = (xs, k) => percentile(xs.map((x) => x[k]), 0.5);
  const v = med(ours, 'mbps'), b = med(theirs, 'mbps');
  emit({ scenario: 9, name: `catch-up of a complete ${(bytes / 1048576).toFixed(1)} MiB chunk`,
    metric: 'MB/s', baseline: 'nginx static file', baseline_value: b, value: v,
    target: 'ratio >= 0.8', pass: v / b >= 0.8, size: args.size,
    rps: med(ours, 'rps'), baseline_rps: med(theirs, 'rps'), bytes });
});

// catchup: throughput of catch-up reads, which electricd serves straight
// from the shape log files.  Not part of make check.
//   node bench/catchup.mjs URL DATABASE_URL [seconds]
// URL is a running electricd (e.g. http://localhost:3000) with the default
// ELECTRIC_SHAPE_CHUNK_BYTES_THRESHOLD (10 MiB); bench/catchup.sh starts
// one with a private Postgres and runs this.  Measures, for `seconds`
// (default 10) each:
//   small -1      offset=-1 of a 2-row shape (a small completed chunk)
//   small 0_0     offset=0_0 at the end of that shape (up-to-date only)
//   small 304     the same with If-None-Match (revalidation)
//   10 MiB -1     offset=-1 of a shape whose chunks are ~10 MiB (chunk 0)
//   10 MiB 0_0    offset=0_0&handle=H of that shape: chunk 0_1, a complete
//                 10 MiB chunk in the middle of the snapshot
// with wrk when it is installed (apt-get install wrk), else a node
// keep-alive loop; concurrency 16 for the small responses, 4 for the big
// one.  Prints requests/s, MB/s and latency percentiles.  Uses the pg
// package installed for the e2e tests (tests/e2e/node_modules).
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../tests/e2e/', import.meta.url));
const pg = require('pg');

const [url, dbUrl, secArg] = process.argv.slice(2);
if (!url || !dbUrl) {
  console.error('usage: node bench/catchup.mjs URL DATABASE_URL [seconds]');
  process.exit(2);
}
const seconds = Number(secArg ?? 10);
const haveWrk = spawnSync('wrk', ['--version']).error === undefined;

const db = new pg.Client({ connectionString: dbUrl });
await db.connect();
const small = `bench_small_${process.pid}`;
const big = `bench_big_${process.pid}`;

async function get(params, headers = {}) {
  const r = await fetch(`${url}/v1/shape?${new URLSearchParams(params)}`, { headers });
  const body = Buffer.from(await r.arrayBuffer());
  if (r.status >= 400) throw new Error(`${r.status} ${body.toString().slice(0, 200)}`);
  return { status: r.status, headers: Object.fromEntries(r.headers.entries()), bytes: body.length };
}

async function waitActive() {
  for (let i = 0; i < 300; i++) {
    const r = await fetch(`${url}/v1/health`).catch(() => null);
    if (r?.status === 200) return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error('electricd is not active after 30 s');
}

// ---------------------------------------------------------------- load

/* wrk against one URL; returns { rps, mbps, p50, p99 } (ms). */
function runWrk(target, conns, headers) {
  const args = ['-t', '2', '-c', String(conns), '-d', `${seconds}s`, '--latency'];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
  args.push(target);
  const r = spawnSync('wrk', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`wrk failed: ${r.stderr}`);
  const out = r.stdout;
  const num = (re) => { const m = re.exec(out); return m ? m : null; };
  const unit = { B: 1 / 1048576, KB: 1 / 1024, MB: 1, GB: 1024 };
  const ms = (m) => (m ? Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2]] : NaN);
  const t = num(/Transfer\/sec:\s+([\d.]+)(B|KB|MB|GB)/);
  const non2xx = num(/Non-2xx or 3xx responses:\s+(\d+)/);
  const errs = num(/Socket errors:[^\n]*/);
  return {
    rps: Number(num(/Requests\/sec:\s+([\d.]+)/)[1]),
    mbps: t ? Number(t[1]) * unit[t[2]] : NaN,
    p50: ms(num(/\s50%\s+([\d.]+)(us|ms|s)/)),
    p99: ms(num(/\s99%\s+([\d.]+)(us|ms|s)/)),
    note: [non2xx ? `${non2xx[1]} non-2xx/3xx` : '', errs ? errs[0].trim() : ''].filter(Boolean).join('; '),
  };
}

/* The node fallback: conns keep-alive loops for `seconds`. */
async function runNode(target, conns, headers) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: conns });
  const lat = [];
  let bytes = 0;
  let bad = 0;
  const end = Date.now() + seconds * 1000;
  const one = () => new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.get(target, { agent, headers }, (res) => {
      if (res.statusCode >= 400) bad++;
      res.on('data', (d) => { bytes += d.length; });
      res.on('end', () => { lat.push(performance.now() - t0); resolve(); });
    });
    req.on('error', reject);
  });
  const t0 = Date.now();
  await Promise.all(Array.from({ length: conns }, async () => {
    while (Date.now() < end) await one();
  }));
  const dt = (Date.now() - t0) / 1000;
  agent.destroy();
  lat.sort((a, b) => a - b);
  const pct = (p) => lat[Math.min(lat.length - 1, Math.floor(lat.length * p))];
  return {
    rps: lat.length / dt, mbps: bytes / dt / 1048576, p50: pct(0.5), p99: pct(0.99),
    note: bad ? `${bad} errors` : '',
  };
}

const load = (target, conns, headers = {}) =>
  (haveWrk ? runWrk(target, conns, headers) : runNode(target, conns, headers));

// ---------------------------------------------------------------- setup

await waitActive();
await db.query(`CREATE TABLE ${small} (id int PRIMARY KEY, title text, done bool)`);
await db.query(`INSERT INTO ${small} VALUES (1, 'first', false), (2, 'second', true)`);
await db.query(`CREATE TABLE ${big} (id int PRIMARY KEY, v text)`);
// ~1.1 KB of JSON a row: 22000 rows fill chunks 0 and 1 (10 MiB each) and
// start chunk 2.
await db.query(`INSERT INTO ${big} SELECT g, repeat(md5(g::text), 31) FROM generate_series(1, 22000) g`);

try {
  const s = await get({ table: small, offset: '-1' });
  const h = s.headers['electric-handle'];
  const s0 = await get({ table: small, offset: '0_0', handle: h });
  const b = await get({ table: big, offset: '-1' });
  if (b.headers['electric-offset'] !== '0_0') throw new Error(`big shape: offset ${b.headers['electric-offset']}`);
  const bh = b.headers['electric-handle'];
  const b1 = await get({ table: big, offset: '0_0', handle: bh });
  if (b1.headers['electric-offset'] !== '0_1' || b1.headers['electric-up-to-date'] !== undefined) {
    console.error(`note: chunk 0_1 is not a complete middle chunk (is the chunk threshold 10 MiB?)`);
  }

  const q = (p) => `${url}/v1/shape?${new URLSearchParams(p)}`;
  const cases = [
    ['small -1', q({ table: small, offset: '-1' }), 16, {}, s.bytes],
    ['small 0_0 (up-to-date)', q({ table: small, offset: '0_0', handle: h }), 16, {}, s0.bytes],
    ['small 0_0 If-None-Match → 304', q({ table: small, offset: '0_0', handle: h }), 16,
      { 'If-None-Match': s0.headers.etag }, 0],
    ['10 MiB chunk, offset=-1', q({ table: big, offset: '-1' }), 4, {}, b.bytes],
    ['10 MiB chunk, offset=0_0&handle', q({ table: big, offset: '0_0', handle: bh }), 4, {}, b1.bytes],
  ];
  console.log(`electricd ${url}; ${haveWrk ? 'wrk -t2' : 'node keep-alive loop'}; ${seconds} s per case; ` +
    `${(await import('node:os')).cpus().length} cores shared by client and server`);
  console.log('');
  console.log('| case | body bytes | conns | requests/s | MB/s | p50 ms | p99 ms | notes |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---|');
  for (const [name, target, conns, headers, bytes] of cases) {
    const r = await load(target, conns, headers);
    console.log(`| ${name} | ${bytes} | ${conns} | ${r.rps.toFixed(0)} | ${r.mbps.toFixed(1)} | ` +
      `${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.note} |`);
  }
} finally {
  await db.query(`DROP TABLE IF EXISTS ${small}, ${big}`);
  await db.end();
}

// shapes_scale: many registered shapes, few processes, fast restart
// (issues 5, 6, 7).  Starts its own electricd (ELECTRICD_BIN, default
// bin/electricd) with a short ELECTRIC_SHAPE_SUSPEND_TIMEOUT, registers N
// shapes "items WHERE id = k" over HTTP, waits until every consumer has
// suspended and prints: registration rate, processes, RSS/PSS by role,
// the time for one UPDATE to reach one shape's long-poll among N; then
// stops electricd with SIGTERM, starts it again on the same storage and
// prints the time from exec to /v1/health "active", to the first shape
// served (a request with an existing handle+offset answered 200), and to
// every sampled shape served, and checks that no snapshot was redone (the
// snapshot files' inodes and mtimes are unchanged) and no consumer was
// started for a suspended shape.  Not part of make check.
//
//   node bench/shapes_scale.mjs DATABASE_URL PORT STORAGE_DIR N [concurrency]
//   node bench/shapes_scale.mjs --restart DATABASE_URL PORT STORAGE_DIR
//       (restart measurements only, on an existing STORAGE_DIR; the
//       handles are read from meta.db)
//   node bench/shapes_scale.mjs --clone DATABASE_URL PORT STORAGE_DIR TOTAL
//       (grows a stopped STORAGE_DIR made by a run to TOTAL suspended
//       shapes "id = k" by copying the files and meta.db row of "id = 1"
//       with k substituted; the rows k must be in items already, inserted
//       before the run that made STORAGE_DIR (SCALE_ROWS=M in that run), else
//       their INSERTs wait in the slot and wake every clone at start;
//       registering 100k shapes over HTTP takes hours here)
// Environment: ELECTRICD_BIN, SCALE_ROWS (rows of items, default N),
// SCALE_SAMPLE (shapes checked after the
// restart, default 200; "all" for every one), SCALE_PERF=1 (perf record
// -g the root, shapecache and collector for 5 s after the restart, into
// STORAGE_DIR/../perf.*.data).  Uses tests/e2e/node_modules (pg).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { cloneShapes, sqlite } from '../tests/e2e/shapeclone.mjs';

const require = createRequire(new URL('../tests/e2e/', import.meta.url));
const pg = require('pg');
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = process.env.ELECTRICD_BIN || path.join(ROOT, 'bin/electricd');

const argv = process.argv.slice(2);
const restartOnly = argv[0] === '--restart';
const cloneOnly = argv[0] === '--clone';
if (restartOnly || cloneOnly) argv.shift();
const [dbUrl, portArg, storage, nArg, cArg] = argv;
if (!storage) {
  console.error('usage: shapes_scale.mjs [--restart] DATABASE_URL PORT STORAGE_DIR [N [C]]');
  process.exit(2);
}
const port = Number(portArg), N = Number(nArg ?? 1000), C = Number(cArg ?? 16);
const url = `http://127.0.0.1:${port}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const secs = (t) => ((performance.now() - t) / 1000).toFixed(2);

// ---- processes and memory

function procs() {
  const kids = new Map();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      if (f[0] === 'Z') continue;
      const ppid = Number(f[1]);
      if (!kids.has(ppid)) kids.set(ppid, []);
      kids.get(ppid).push(Number(d));
    } catch { /* gone */ }
  }
  return kids;
}
function tree(root) {
  const kids = procs(), out = [root];
  for (let i = 0; i < out.length; i++) out.push(...(kids.get(out[i]) || []));
  return out;
}
function role(pid) {
  try {
    const a = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split(/[\0 ]/);
    const i = a.indexOf('--role');
    return i >= 0 ? a[i + 1] : 'root';
  } catch { return null; }
}
function mem(root) {
  const by = {};
  let n = 0, consumers = 0;
  for (const p of tree(root)) {
    const r = role(p);
    if (r === null) continue;
    try {
      const s = fs.readFileSync(`/proc/${p}/smaps_rollup`, 'utf8');
      const e = by[r] || (by[r] = { n: 0, rss_mb: 0, pss_mb: 0, cpu_ms: 0 });
      const st = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      e.cpu_ms += (Number(f[11]) + Number(f[12])) * 10;	/* utime + stime, 100 Hz */
      e.n++;
      e.rss_mb += Number(/^Rss:\s+(\d+)/m.exec(s)[1]) / 1024;
      e.pss_mb += Number(/^Pss:\s+(\d+)/m.exec(s)[1]) / 1024;
      n++;
      if (r === 'consumer') consumers++;
    } catch { /* gone */ }
  }
  for (const e of Object.values(by)) {
    e.rss_mb = Math.round(e.rss_mb * 10) / 10;
    e.pss_mb = Math.round(e.pss_mb * 10) / 10;
  }
  return { processes: n, consumers, by_role: by };
}

// ---- electricd

function start() {
  const env = {
    ...process.env,
    DATABASE_URL: dbUrl,
    ELECTRIC_PORT: String(port),
    ELECTRIC_STORAGE_DIR: storage,
    ELECTRIC_INSECURE: 'true',
    ELECTRIC_SHAPE_SUSPEND_TIMEOUT: process.env.ELECTRIC_SHAPE_SUSPEND_TIMEOUT || '1',
    ELECTRIC_LOG_LEVEL: process.env.ELECTRIC_LOG_LEVEL || 'warning',
    ELECTRIC_REPLICATION_STREAM_ID: 'h3scale',
  };
  const log = fs.openSync(`${storage}.log`, 'a');
  const t0 = performance.now();
  const p = spawn(BIN, [], { env, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  p.exited = new Promise((r) => p.on('exit', (code, sig) => r({ code, sig })));
  p.t0 = t0;
  return p;
}
async function get(params, ms = 30000) {
  const r = await fetch(`${url}/v1/shape?${new URLSearchParams(params)}`,
    { signal: AbortSignal.timeout(ms) });
  const body = await r.text();
  return { status: r.status, handle: r.headers.get('electric-handle'),
    offset: r.headers.get('electric-offset'), body };
}
async function health() {
  try {
    const r = await fetch(`${url}/v1/health`, { signal: AbortSignal.timeout(2000) });
    return r.status === 200 && (await r.json()).status === 'active';
  } catch { return false; }
}
async function waitActive(p) {
  for (;;) {
    if (await health()) return performance.now() - p.t0;
    await sleep(5);
  }
}

// ---- snapshot files: inode and mtime of every snapshot.* per shape

function snapStamp(handle) {
  const dir = path.join(storage, 'shapes', handle);
  const out = [];
  for (const f of fs.readdirSync(dir).sort()) {
    if (!f.startsWith('snapshot')) continue;
    const st = fs.statSync(path.join(dir, f));
    out.push(`${f}:${st.ino}:${st.mtimeMs}`);
  }
  return out.join(',');
}

// ---- phases

async function setup() {
  const db = new pg.Client({ connectionString: dbUrl });
  await db.connect();
  await db.query('CREATE TABLE IF NOT EXISTS items (id int PRIMARY KEY, title text, done bool)');
  const rows = Math.max(N, Number(process.env.SCALE_ROWS || 0));
  await db.query(`INSERT INTO items SELECT g, 'v' || g, false FROM generate_series(1, ${rows}) g
    ON CONFLICT DO NOTHING`);
  return db;
}

async function register(p) {
  const t0 = performance.now();
  let next = 1, peak = { processes: 0 };
  const shapes = new Array(N + 1);
  await Promise.all(Array.from({ length: C }, async () => {
    while (next <= N) {
      const k = next++;
      for (;;) {
        const r = await get({ table: 'items', where: `id = ${k}`, offset: '-1' });
        if (r.status === 200) { shapes[k] = { k, handle: r.handle, offset: r.offset }; break; }
        await sleep(100);
      }
      if (k % 1000 === 0) {
        const m = mem(p.pid);
        if (m.processes > peak.processes) peak = m;
        console.log(`  ${k} shapes in ${secs(t0)} s, ${m.processes} processes`);
      }
    }
  }));
  const s = (performance.now() - t0) / 1000;
  console.log(`registered ${N} shapes in ${s.toFixed(1)} s: ${(N / s).toFixed(0)} shapes/s; ` +
    `peak ${peak.processes} processes`);
  return shapes;
}

async function waitSuspended(p) {
  const t0 = performance.now();
  for (let i = 0; i < 1200; i++) {
    if (mem(p.pid).consumers === 0) break;
    await sleep(500);
  }
  console.log(`all consumers suspended after ${secs(t0)} s:`, JSON.stringify(mem(p.pid)));
}

async function changeLatency(db, s) {
  // Read to the end first (the offset of registration may be behind).
  let r = await get({ table: 'items', where: `id = ${s.k}`, handle: s.handle, offset: s.offset });
  const live = { table: 'items', where: `id = ${s.k}`, handle: s.handle, offset: r.offset, live: 'true' };
  const pending = get(live);
  await sleep(300);		// the long-poll is waiting (and woke the shape)
  const t = performance.now();
  await db.query("UPDATE items SET title = title || '+' WHERE id = $1", [s.k]);
  r = await pending;
  const ms = performance.now() - t;
  console.log(`change to shape id=${s.k} among the shapes: ${ms.toFixed(0)} ms ` +
    `(status ${r.status}, ${JSON.parse(r.body).length} messages)`);
  return r.offset;
}

async function stop(p) {
  const t = performance.now();
  p.kill('SIGTERM');
  const x = await p.exited;
  console.log(`SIGTERM: exited ${JSON.stringify(x)} after ${secs(t)} s`);
}

function loadShapes() {
  const r = spawnSync('sqlite3', [path.join(storage, 'meta.db'),
    "SELECT handle, where_text FROM shapes WHERE state <> 'deleted'"],
  { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`sqlite3: ${r.stderr}`);
  const out = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^([^|]+)\|id = (\d+)$/.exec(line);
    if (m) out.push({ k: Number(m[2]), handle: m[1], offset: '0_0' });
  }
  return out;
}

function perf(p) {
  const want = new Set(['root', 'shapecache', 'collector']);
  const runs = [];
  for (const pid of tree(p.pid)) {
    const r = role(pid);
    if (!want.has(r)) continue;
    runs.push(spawn('perf', ['record', '-g', '-o', `${storage}.perf.${r}.data`, '-p', String(pid),
      '--', 'sleep', '5'], { stdio: 'ignore' }));
  }
  return runs;
}

async function restart(shapes) {
  const sample = process.env.SCALE_SAMPLE === 'all' ? shapes :
    shapes.filter((_, i) => i % Math.max(1, Math.floor(shapes.length /
      Number(process.env.SCALE_SAMPLE || 200))) === 0);
  const stamps = new Map(sample.map((s) => [s.handle, snapStamp(s.handle)]));
  const p = start();
  let firstMs = null;
  const first = (async () => {
    const s = sample[0];
    for (;;) {
      const r = await get({ table: 'items', where: `id = ${s.k}`, handle: s.handle,
        offset: s.offset }, 5000).catch(() => null);
      if (r && r.status === 200) { firstMs = performance.now() - p.t0; return; }
      await sleep(5);
    }
  })();
  const activeMs = await waitActive(p);
  const atActive = mem(p.pid);
  await first;
  const runs = process.env.SCALE_PERF === '1' ? perf(p) : [];
  console.log(`restart: health active after ${activeMs.toFixed(0)} ms, first shape ` +
    `served after ${firstMs.toFixed(0)} ms; CPU ms used by then: ` +
    JSON.stringify(Object.fromEntries(Object.entries(atActive.by_role).map(([r, e]) => [r, e.cpu_ms]))));
  const t = performance.now();
  let bad = 0, next = 0;
  await Promise.all(Array.from({ length: C }, async () => {
    while (next < sample.length) {
      const s = sample[next++];
      const r = await get({ table: 'items', where: `id = ${s.k}`, handle: s.handle, offset: s.offset });
      if (r.status !== 200 || r.handle !== s.handle) {
        bad++;
        if (bad < 5) console.log(`  shape ${s.handle}: ${r.status} ${r.body.slice(0, 200)}`);
      }
    }
  }));
  console.log(`restart: ${sample.length} sampled shapes served in ${secs(t)} s ` +
    `(after ${((performance.now() - p.t0) / 1000).toFixed(2)} s), ${bad} not 200 with the same handle`);
  let resnap = 0;
  for (const [h, st] of stamps) if (snapStamp(h) !== st) resnap++;
  console.log(`restart: ${resnap} of ${stamps.size} sampled shapes re-snapshotted`);
  console.log('restart: processes', JSON.stringify(mem(p.pid)));
  for (const r of runs) await new Promise((res) => r.on('exit', res));
  return p;
}

async function clone() {
  const meta = path.join(storage, 'meta.db');
  const from = Number(sqlite(meta, "SELECT max(CAST(substr(where_text, 6) AS INTEGER)) " +
    "FROM shapes WHERE where_text LIKE 'id = %';")) + 1;
  if (from > N) throw new Error(`nothing to clone (from ${from})`);
  const t0 = performance.now();
  const rows = cloneShapes(storage, from, N);
  console.log(`cloned ${rows.length} shapes (k = ${from}..${N}) in ${secs(t0)} s`);
}

// ---- main

if (cloneOnly) {
  await clone();
} else if (restartOnly) {
  const shapes = loadShapes();
  console.log(`${shapes.length} shapes in ${storage}`);
  const p = await restart(shapes);
  // Until the collector has compiled every WHERE (its CPU time settles).
  let cpu = -1, m;
  for (let i = 0; i < 120; i++) {
    await sleep(1000);
    m = mem(p.pid);
    const c = m.by_role.collector?.cpu_ms ?? 0;
    if (c - cpu < 30) break;
    cpu = c;
  }
  console.log('settled:', JSON.stringify(m));
  const db = new pg.Client({ connectionString: dbUrl });
  await db.connect();
  await changeLatency(db, shapes[Math.floor(shapes.length / 2)]);
  await db.end();
  await stop(p);
} else {
  fs.mkdirSync(storage, { recursive: true });
  const db = await setup();
  let p = start();
  console.log(`electricd active after ${(await waitActive(p)).toFixed(0)} ms`);
  const shapes = (await register(p)).filter(Boolean);
  await waitSuspended(p);
  await changeLatency(db, shapes[Math.ceil(N / 2)]);
  await waitSuspended(p);
  await stop(p);
  p = await restart(shapes);
  await sleep(1000);
  console.log('1 s later:', JSON.stringify(mem(p.pid)));
  await changeLatency(db, shapes[Math.ceil(N / 3)]);
  await stop(p);
  await db.end();
}

// lib.mjs: helpers shared by the benchmark scenarios (bench/s<N>_*.mjs,
// run by bench/run.mjs; `make bench`, and a smoke run in make check).
//
// Every scenario starts what it measures itself: a throwaway Postgres
// (startPostgres: scripts/pg.sh under /tmp on a free port, fsync off,
// wal_level=logical) and a private electricd (startElectricd: fresh storage
// directory, free port, insecure).  Everything started here is registered
// and torn down by cleanup(), which main() runs at the end, on an error and
// on SIGINT/SIGTERM; only processes this file started are ever killed.
//
// Output contract: a scenario prints results with emit(row), one JSON line
// per result on stdout and nothing else there; progress goes to stderr
// (say()).  Row fields: scenario, name, metric, baseline, baseline_value,
// value, ratio, target, pass (true|false|null), size (smoke|full), plus
// any extra fields (run.mjs keeps them in results.json).
//
// The pg package comes from tests/e2e/node_modules (npm ci there).

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ELECTRICD = process.env.ELECTRICD_BIN || path.join(ROOT, 'bin/electricd');
export const TMP = process.env.BENCH_TMPDIR || os.tmpdir();
const requireE2e = createRequire(path.join(ROOT, 'tests/e2e/'));
export const pg = requireE2e('pg');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const now = () => performance.now();

/* Progress and diagnostics: stderr only (stdout is the JSON lines). */
export function say(...args) {
  process.stderr.write(`[${path.basename(process.argv[1] || 'bench')}] ${args.join(' ')}\n`);
}

// ---------------------------------------------------------------- arguments

/* --size smoke|full (default full) and --key value / --flag pairs. */
export function parseArgs(argv = process.argv.slice(2)) {
  const out = { size: 'full' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const k = a.slice(2);
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) out[k] = true;
    else { out[k] = v; i++; }
  }
  if (out.size !== 'smoke' && out.size !== 'full') {
    throw new Error(`--size must be smoke or full, not ${out.size}`);
  }
  return out;
}

// ---------------------------------------------------------------- output

/* Prints one result row as a JSON line; ratio = value / baseline_value
 * unless given; pass as given (null: no target or not judged). */
export function emit(row) {
  const r = { pass: null, ...row };
  if (r.ratio === undefined && typeof r.value === 'number' &&
      typeof r.baseline_value === 'number' && r.baseline_value !== 0) {
    r.ratio = r.value / r.baseline_value;
  }
  for (const k of ['value', 'baseline_value', 'ratio']) {
    if (typeof r[k] === 'number') r[k] = round(r[k]);
  }
  process.stdout.write(`${JSON.stringify(r)}\n`);
  return r;
}

export function round(x, digits = 4) {
  if (!Number.isFinite(x) || x === 0) return x;
  const p = 10 ** Math.max(0, digits - 1 - Math.floor(Math.log10(Math.abs(x))));
  return Math.round(x * p) / p;
}

// ---------------------------------------------------------------- statistics

/* The p-quantile (0..1) of xs by nearest rank (xs is not modified). */
/* A seeded generator of uniform integers in [0, 2^32) (xorshift32).  A
 * plain LCG's low bits repeat with a short period: `lcg() % 100` reached
 * only 25 of 100 values in the order it was called. */
export function rng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x;
  };
}

export function percentile(xs, p) {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
}

export function stats(xs) {
  return { min: Math.min(...xs), median: percentile(xs, 0.5), max: Math.max(...xs), n: xs.length };
}

/* Runs fn and returns [ms, result]. */
export async function timed(fn) {
  const t0 = now();
  const res = await fn();
  return [now() - t0, res];
}

// ---------------------------------------------------------------- cleanup

const cleanups = [];

export function onCleanup(fn) {
  cleanups.push(fn);
}

export async function cleanup() {
  while (cleanups.length > 0) {
    const fn = cleanups.pop();
    try {
      await fn();
    } catch (e) {
      say(`cleanup: ${e?.stack || e}`);
    }
  }
}

// Synchronous last resort for an exit without cleanup().
const exitHooks = new Set();
process.on('exit', () => {
  for (const fn of exitHooks) {
    try { fn(); } catch { /* best effort */ }
  }
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    say(`${sig}: cleaning up`);
    cleanup().finally(() => process.exit(130));
  });
}

/* Runs the scenario body, then cleanup(); exits 1 on an error. */
export async function main(fn) {
  let code = 0;
  try {
    await fn(parseArgs());
  } catch (e) {
    say(`FAILED: ${e?.stack || e}`);
    code = 1;
  }
  await cleanup();
  process.exit(code);
}

// ---------------------------------------------------------------- processes

/* A port that is free now. */
export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function procStat(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { pid, state: rest[0], ppid: Number(rest[1]) };
  } catch {
    return null;
  }
}

/* pid and every live descendant (one pass over /proc). */
export function pidTree(pid) {
  const kids = new Map();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const st = procStat(Number(d));
    if (!st || st.state === 'Z') continue;
    if (!kids.has(st.ppid)) kids.set(st.ppid, []);
    kids.get(st.ppid).push(st.pid);
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) out.push(...(kids.get(out[i]) || []));
  return out;
}

/* The --role of an electricd process ("root" for the root), or null. */
export function procRole(pid) {
  try {
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split(/[\0 ]/);
    const i = argv.indexOf('--role');
    return i >= 0 ? argv[i + 1] : 'root';
  } catch {
    return null;
  }
}

/* { rss, pss } in KiB of one process (smaps_rollup), zeros if gone. */
export function memOf(pid) {
  try {
    const r = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(r)?.[1] || 0);
    return { rss: kb('Rss'), pss: kb('Pss') };
  } catch {
    return { rss: 0, pss: 0 };
  }
}

/* Memory of a process tree: { rss, pss, n, byRole: {role: {rss, pss, n}} }
 * (KiB). */
export function treeMem(pid) {
  const out = { rss: 0, pss: 0, n: 0, byRole: {} };
  for (const p of pidTree(pid)) {
    const m = memOf(p);
    const role = procRole(p) || '?';
    const r = (out.byRole[role] ||= { rss: 0, pss: 0, n: 0 });
    for (const o of [out, r]) { o.rss += m.rss; o.pss += m.pss; o.n++; }
  }
  return out;
}

/* CPU time (user+sys, ms) of one process, 0 if gone. */
export function cpuMsOf(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;	// USER_HZ = 100
  } catch {
    return 0;
  }
}

/* CPU time (ms) a process tree has used so far (live ones). */
export function treeCpuMs(pid) {
  return pidTree(pid).reduce((a, p) => a + cpuMsOf(p), 0);
}

/* CPU time (ms) of a process tree by electricd role ({root, http, ...}). */
export function treeCpuByRole(pid) {
  const out = {};
  for (const p of pidTree(pid)) {
    const role = procRole(p) || '?';
    out[role] = (out[role] || 0) + cpuMsOf(p);
  }
  return out;
}

/* b - a per key (CPU by role between two treeCpuByRole() readings). */
export function diffByRole(a, b) {
  const out = {};
  for (const k of Object.keys(b)) out[k] = b[k] - (a[k] || 0);
  return out;
}

/* Runs a command to completion; returns { status, stdout, stderr, ms }. */
export function run(cmd, args, opts = {}) {
  const t0 = now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30, ...opts });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, ms: now() - t0 };
}

/* A command run asynchronously; resolves { status, signal, ms, stderr }. */
export function runAsync(cmd, args, opts = {}) {
  const t0 = now();
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], ...opts });
  let stderr = '';
  child.stderr?.on('data', (d) => { stderr += d; });
  const done = new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (status, signal) => resolve({ status, signal, ms: now() - t0, stderr }));
  });
  const kill = () => { try { child.kill('SIGKILL'); } catch { /* gone */ } };
  exitHooks.add(kill);
  done.finally(() => exitHooks.delete(kill)).catch(() => {});
  return { child, done, kill };
}

// ---------------------------------------------------------------- Postgres

/* A Postgres server binary (newest version installed). */
export function pgBin(name) {
  const dirs = fs.readdirSync('/usr/lib/postgresql').sort((a, b) => Number(a) - Number(b));
  return `/usr/lib/postgresql/${dirs[dirs.length - 1]}/bin/${name}`;
}

function pgsh(...args) {
  const r = spawnSync(path.join(ROOT, 'scripts/pg.sh'), args, { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`pg.sh ${args.join(' ')}: ${r.stderr || r.error}`);
}

/* An initdb'd, stopped data directory to copy (initdb is the slow part of
 * a cluster's start on a loaded machine): made once per machine under
 * TMP by scripts/pg.sh and renamed into place atomically. */
function pgTemplate() {
  const dir = path.join(TMP, `electricd-bench-pgtemplate-${path.basename(path.dirname(path.dirname(pgBin('postgres'))))}`);
  if (fs.existsSync(path.join(dir, 'data', 'PG_VERSION'))) return dir;
  const tmp = fs.mkdtempSync(`${dir}.new-`);
  fs.chmodSync(tmp, 0o755);
  pgsh('start', tmp, String(50000 + (process.pid % 10000)), '--fast');
  pgsh('stop', tmp);
  for (const f of fs.readdirSync(tmp)) if (f !== 'data') fs.rmSync(path.join(tmp, f), { force: true });
  try {
    fs.renameSync(tmp, dir);
  } catch {
    fs.rmSync(tmp, { recursive: true, force: true });	// another run made it
  }
  return dir;
}

/* A throwaway cluster (scripts/pg.sh --fast: fsync and synchronous_commit
 * off, wal_level logical) under TMP on a free port, stopped and removed at
 * cleanup; a copy of pgTemplate().  conf: extra settings {name: value}
 * (written to postgresql.auto.conf before the start).
 * Returns { dir, port, url, sql(text, params), client(), stop(), start() }. */
export async function startPostgres(label = 'bench', conf = {}) {
  const tpl = pgTemplate();
  const dir = fs.mkdtempSync(path.join(TMP, `bench-pg-${label}-`));
  fs.chmodSync(dir, 0o755);
  const cp = spawnSync('cp', ['-a', path.join(tpl, 'data'), path.join(dir, 'data')], { encoding: 'utf8' });
  if (cp.status !== 0) throw new Error(`cp -a ${tpl}/data: ${cp.stderr}`);
  const auto = path.join(dir, 'data', 'postgresql.auto.conf');
  for (const [k, v] of Object.entries(conf)) {
    fs.appendFileSync(auto, `${k} = '${String(v).replace(/'/g, "''")}'\n`);
  }
  const port = await freePort();
  const url = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  const c = {
    dir,
    port,
    url,
    start: () => pgsh('start', dir, String(port), '--fast'),
    stop: () => pgsh('stop', dir),
    client: async () => {
      const cl = new pg.Client({ connectionString: url });
      await cl.connect();
      cl.on('error', () => { /* server went away under an idle client */ });
      return cl;
    },
    sql: async (text, params) => {
      const cl = await c.client();
      try {
        return (await cl.query(text, params)).rows;
      } finally {
        await cl.end();
      }
    },
  };
  say(`starting Postgres in ${dir} on port ${port}`);
  const stopSync = () => { spawnSync(path.join(ROOT, 'scripts/pg.sh'), ['stop', dir]); };
  exitHooks.add(stopSync);
  onCleanup(() => {
    exitHooks.delete(stopSync);
    c.stop();
    if (!process.env.BENCH_KEEP) fs.rmSync(dir, { recursive: true, force: true });
  });
  c.start();
  return c;
}

/* The current WAL insert position (text LSN). */
export async function currentLsn(db) {
  return (await db.sql('SELECT pg_current_wal_lsn()::text AS l'))[0].l;
}

/* LSN text -> BigInt, for comparisons. */
export function lsnNum(lsn) {
  const [hi, lo] = lsn.split('/');
  return (BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`);
}

/* Waits until slot's confirmed_flush_lsn is at or past lsn (polls every
 * 5 ms on one connection); throws after ms. */
export async function waitSlotConfirmed(db, slot, lsn, ms = 600_000) {
  const c = await db.client();
  const want = lsnNum(lsn);
  const t0 = Date.now();
  try {
    for (;;) {
      const r = await c.query('SELECT confirmed_flush_lsn::text AS l FROM pg_replication_slots ' +
        'WHERE slot_name = $1', [slot]);
      if (r.rows[0]?.l && lsnNum(r.rows[0].l) >= want) return;
      if (Date.now() - t0 > ms) throw new Error(`slot ${slot} did not reach ${lsn} in ${ms} ms`);
      await sleep(5);
    }
  } finally {
    await c.end();
  }
}

/* pg_recvlogical (pgoutput, proto_version 1) drains slot up to endLsn
 * into /dev/null.  Returns { ms, startupMs, drainMs }: startupMs is the
 * time of the same command on a fresh slot with nothing to read (process
 * start, connection, slot start), drainMs = ms - startupMs. */
export async function pgRecvlogicalDrain(db, slot, pub, endLsn) {
  const cmd = (s, end) => run(pgBin('pg_recvlogical'), ['-d', db.url, '--slot', s, '--start',
    '-o', 'proto_version=1', '-o', `publication_names=${pub}`, '-E', end, '-f', '/dev/null',
    '--no-loop']);
  const r = cmd(slot, endLsn);
  if (r.status !== 0) throw new Error(`pg_recvlogical: ${r.stderr}`);
  const empty = (await db.sql(
    "SELECT lsn::text AS l FROM pg_create_logical_replication_slot('bench_empty', 'pgoutput')"))[0].l;
  const e = cmd('bench_empty', empty);
  await db.sql("SELECT pg_drop_replication_slot('bench_empty')");
  const startupMs = e.status === 0 ? e.ms : 0;
  return { ms: r.ms, startupMs, drainMs: Math.max(r.ms - startupMs, 1) };
}

/* Bytes queued in TCP buffers (send + receive queues) of every IPv4
 * socket with `port` at either end: WAL a walsender has already decoded
 * for a stopped reader. */
export function tcpQueuedBytes(port) {
  let sum = 0;
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const line of fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5) continue;
    if (!f[1].endsWith(`:${hex}`) && !f[2].endsWith(`:${hex}`)) continue;
    const [tx, rx] = f[4].split(':');
    sum += parseInt(tx, 16) + parseInt(rx, 16);
  }
  return sum;
}

/* Sends sig to every pid (SIGSTOP/SIGCONT of a whole electricd tree). */
export function signalPids(pids, sig) {
  for (const p of pids) { try { process.kill(p, sig); } catch { /* gone */ } }
}

// ---------------------------------------------------------------- electricd

/* Starts bin/electricd against dbUrl with a fresh storage directory and
 * port (insecure, log level warning, log in <storage>.log), waits until
 * /v1/health says active.  Returns { url, port, pid, storageDir, logPath,
 * env, stop(), logTail(n), mem(), cpuMs(), cpuByRole(), streamId }. */
let streamCounter = 0;
export async function startElectricd(dbUrl, env = {}) {
  if (!fs.existsSync(ELECTRICD)) throw new Error(`${ELECTRICD} is missing: run make`);
  const storageDir = fs.mkdtempSync(path.join(TMP, 'bench-electricd-'));
  const port = await freePort();
  const logPath = `${storageDir}.log`;
  const streamId = `b${process.pid}_${++streamCounter}`;
  const fullEnv = {
    ...process.env,
    DATABASE_URL: dbUrl,
    ELECTRIC_PORT: String(port),
    ELECTRIC_STORAGE_DIR: storageDir,
    ELECTRIC_INSECURE: 'true',
    ELECTRIC_REPLICATION_STREAM_ID: streamId,
    ELECTRIC_LOG_LEVEL: 'warning',
    ...env,
  };
  delete fullEnv.ELECTRIC_SECRET;
  const fd = fs.openSync(logPath, 'a');
  const proc = spawn(ELECTRICD, [], { env: fullEnv, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  let exit = null;
  const exited = new Promise((resolve) => {
    proc.on('exit', (code, signal) => { exit = { code, signal }; resolve(exit); });
    proc.on('error', (err) => { exit = { err: String(err) }; resolve(exit); });
  });
  const known = new Set();
  const killAll = () => {
    for (const p of [proc.pid, ...known]) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
  };
  exitHooks.add(killAll);
  const e = {
    url: `http://127.0.0.1:${port}`,
    port,
    pid: proc.pid,
    storageDir,
    logPath,
    env: fullEnv,
    streamId,
    exited,
    logTail: (n = 30) => fs.readFileSync(logPath, 'utf8').split('\n').slice(-n - 1).join('\n'),
    tree: () => { const t = pidTree(proc.pid); for (const p of t) known.add(p); return t; },
    mem: () => treeMem(proc.pid),
    cpuMs: () => treeCpuMs(proc.pid),
    cpuByRole: () => treeCpuByRole(proc.pid),
    stop: async () => {
      if (exit) return;
      e.tree();
      try { process.kill(proc.pid, 'SIGTERM'); } catch { /* gone */ }
      const t = setTimeout(killAll, 10_000);
      await exited;
      clearTimeout(t);
      killAll();
    },
  };
  onCleanup(async () => {
    await e.stop();
    exitHooks.delete(killAll);
    if (!process.env.BENCH_KEEP) {
      fs.rmSync(storageDir, { recursive: true, force: true });
      fs.rmSync(logPath, { force: true });
    }
  });
  const t0 = Date.now();
  for (;;) {
    if (exit) throw new Error(`electricd exited early ${JSON.stringify(exit)}:\n${e.logTail()}`);
    const r = await fetch(`${e.url}/v1/health`).catch(() => null);
    if (r) {
      const body = await r.text();
      if (r.status === 200 && body.includes('active')) break;
    }
    if (Date.now() - t0 > 60_000) throw new Error(`electricd not active after 60 s:\n${e.logTail()}`);
    await sleep(50);
  }
  e.tree();
  return e;
}

// ---------------------------------------------------------------- HTTP

const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

/* GET url with node:http (keep-alive; fetch() is several times slower on
 * big bodies).  Returns { status, headers, body (Buffer, or null when
 * opts.count is given or opts.discard is set), counted (occurrences of
 * opts.count in the body, across data events), bytes, ms, at (now() when
 * the body was complete) }. */
export function httpGet(url, { timeout = 120_000, count, discard = false } = {}) {
  const t0 = now();
  const needle = count === undefined ? null : Buffer.from(count);
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      const chunks = [];
      let bytes = 0, counted = 0, tail = Buffer.alloc(0);
      res.on('data', (d) => {
        bytes += d.length;
        if (discard) return;
        if (!needle) { chunks.push(d); return; }
        // matches across the previous data event's end, then inside d;
        // the tail is shorter than the needle, so none is counted twice.
        if (tail.length) counted += countOf(Buffer.concat([tail, d.subarray(0, needle.length - 1)]), needle);
        counted += countOf(d, needle);
        tail = Buffer.from(d.subarray(Math.max(0, d.length - needle.length + 1)));
      });
      res.on('end', () => {
        const at = now();
        resolve({ status: res.statusCode, headers: res.headers,
          body: needle || discard ? null : Buffer.concat(chunks), counted, bytes, ms: at - t0, at });
      });
      res.on('error', reject);
    });
    req.setTimeout(timeout, () => req.destroy(new Error(`no answer in ${timeout} ms`)));
    req.on('error', reject);
  });
}

/* GET /v1/shape with params; returns { status, headers (object), body
 * (Buffer), ms, at (now() when the body was complete) }.  Throws on
 * network errors only. */
export function shapeGet(base, params, opts = {}) {
  return httpGet(`${base}/v1/shape?${new URLSearchParams(params)}`, opts);
}

/* Follows a shape from offset -1 through every chunk until up-to-date
 * (non-live requests; retries 503s and 429s, and up to 5 network errors
 * in a row with back-off, as the npm client does).  Returns { handle,
 * offset, bytes, requests, errors, ms, rows } (rows: number of insert
 * operations seen, counted by a substring scan of the raw bytes, no JSON
 * parsing; with { discard: true } the bodies are only counted in bytes,
 * rows stays 0: a client as cheap as psql writing to /dev/null). */
export async function readToEnd(base, params, { discard = false } = {}) {
  const t0 = now();
  let offset = '-1', handle, bytes = 0, requests = 0, rows = 0, errors = 0, streak = 0;
  for (;;) {
    const q = { ...params, offset };
    if (handle) q.handle = handle;
    let r;
    try {
      r = await shapeGet(base, q, discard ? { discard } : { count: '"operation":"insert"' });
      streak = 0;
    } catch (err) {
      errors++;
      if (++streak > 5) {
        throw new Error(`GET ${JSON.stringify(q)}: ${err.message} (${err.cause?.code || err.cause || ''})`);
      }
      await sleep(100 * 2 ** streak);
      continue;
    }
    requests++;
    if (r.status === 503 || r.status === 429) { await sleep(50 + Math.random() * 100); continue; }
    if (r.status !== 200) {
      const body = await shapeGet(base, q).then((x) => x.body.toString().slice(0, 300), () => '');
      throw new Error(`GET ${JSON.stringify(q)}: ${r.status} ${body}`);
    }
    bytes += r.bytes;
    rows += r.counted;
    handle = r.headers['electric-handle'];
    offset = r.headers['electric-offset'];
    if (r.headers['electric-up-to-date'] !== undefined) break;
  }
  return { handle, offset, bytes, requests, errors, rows, ms: now() - t0 };
}

/* readToEnd with curl (one process per request, body to /dev/null): the
 * fastest client there is here, for timing big shapes; rows are not
 * counted.  Blocks the event loop while curl runs. */
export function curlReadToEnd(base, params) {
  const t0 = now();
  let offset = '-1', handle, bytes = 0, requests = 0;
  for (;;) {
    const q = { ...params, offset };
    if (handle) q.handle = handle;
    const r = run('curl', ['-s', '-S', '-D', '-', '-o', '/dev/null', '-w', '%{size_download}\n',
      `${base}/v1/shape?${new URLSearchParams(q)}`]);
    if (r.status !== 0) throw new Error(`curl: ${r.stderr}`);
    requests++;
    const h = {};
    for (const line of r.stdout.split('\r\n')) {
      const i = line.indexOf(':');
      if (i > 0) h[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
    }
    const status = Number(/^HTTP\/[\d.]+ (\d+)/.exec(r.stdout)?.[1]);
    if (status === 503 || status === 429) continue;
    if (status !== 200) throw new Error(`GET ${JSON.stringify(q)}: ${status}`);
    bytes += Number(r.stdout.trim().split('\n').pop());
    handle = h['electric-handle'];
    offset = h['electric-offset'];
    if (h['electric-up-to-date'] !== undefined) break;
  }
  return { handle, offset, bytes, requests, ms: now() - t0 };
}

export function countOf(buf, needle) {
  const n = Buffer.from(needle);
  let c = 0;
  for (let i = buf.indexOf(n); i >= 0; i = buf.indexOf(n, i + n.length)) c++;
  return c;
}

/* Runs fn over items with at most `limit` in flight; returns results. */
export async function pool(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

// lib.mjs: helpers shared by the end-to-end tests (tests/e2e/*.test.mjs).
//
// Each test file is one black-box scenario against the real bin/electricd,
// a real Postgres (one shared throwaway cluster started by scripts/check.sh,
// URL in TEST_DATABASE_URL; every file gets a database of its own) and, in
// client_e2e, the real @electric-sql/client.
//
// Everything a test starts is registered here and torn down by cleanup()
// (call `after(cleanup)` in every file): electricd processes are killed
// with their whole process tree, databases are dropped (which drops their
// replication slots), pg pools are closed.  A last-resort 'exit' handler
// SIGKILLs any electricd still running.  scenario() wraps node:test's
// test() so that a failure prints the tail of every electricd log.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const ELECTRICD = process.env.ELECTRICD_BIN || path.join(ROOT, 'bin/electricd');
export const ELECTRICCTL = process.env.ELECTRICCTL_BIN || path.join(ROOT, 'bin/electricctl');
export const TMP = process.env.TEST_TMPDIR || os.tmpdir();
const RUN_MARK = process.env.ELECTRICD_TEST_RUN || `e2e-${process.pid}`;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- cleanup

const cleanups = [];		// run in reverse order by cleanup()
const instances = new Set();	// every electricd started by this file

export function onCleanup(fn) {
  cleanups.push(fn);
}

export async function cleanup() {
  while (cleanups.length > 0) {
    const fn = cleanups.pop();
    try {
      await fn();
    } catch (e) {
      console.error(`cleanup: ${e?.stack || e}`);
    }
  }
  // Idle pg clients would keep the process alive for 10 s.
  for (const url of [...pools.keys()]) await closePool(url);
}

process.on('exit', () => {
  for (const e of instances) {
    for (const pid of [e.pid, ...e.knownPids]) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
  }
});

/* test() with a timeout that prints the electricd logs when it fails. */
export function scenario(name, opts, fn) {
  if (typeof opts === 'function') {
    fn = opts;
    opts = {};
  }
  return test(name, { timeout: 120_000, ...opts }, async (t) => {
    try {
      await fn(t);
    } catch (err) {
      dumpLogs(`test "${name}" failed`);
      throw err;
    }
  });
}

export function dumpLogs(why, lines = 60) {
  for (const e of instances) {
    console.error(`----- ${why}: last ${lines} lines of ${e.logPath} -----`);
    console.error(e.logTail(lines));
    console.error('----- end of log -----');
  }
}

// ---------------------------------------------------------------- Postgres

const pools = new Map();

function pool(url) {
  let p = pools.get(url);
  if (!p) {
    p = new pg.Pool({ connectionString: url, max: 4 });
    p.on('error', () => { /* a backend terminated under an idle client */ });
    pools.set(url, p);
  }
  return p;
}

/* Runs one statement (or several without parameters) on url. */
export async function sql(url, text, params) {
  const res = await pool(url).query(text, params);
  return res.rows;
}

async function closePool(url) {
  const p = pools.get(url);
  if (p) {
    pools.delete(url);
    await p.end();
  }
}

function adminUrl() {
  const u = process.env.TEST_DATABASE_URL;
  if (!u) throw new Error('TEST_DATABASE_URL is not set (run the tests through make check)');
  return u;
}

let dbCounter = 0;

/* A fresh database in the shared cluster, dropped at cleanup.  Returns
 * { url, name, sql(text, params) }. */
export async function createDatabase(label = 'db') {
  const name = `e2e_${label}_${process.pid}_${++dbCounter}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  await sql(adminUrl(), `CREATE DATABASE ${name}`);
  const u = new URL(adminUrl());
  u.pathname = `/${name}`;
  const url = u.toString();
  onCleanup(() => dropDatabase(name, url));
  return { url, name, sql: (text, params) => sql(url, text, params) };
}

async function dropDatabase(name, url) {
  await closePool(url);
  const admin = adminUrl();
  // Slots of this database: end their walsenders, then drop them.
  for (let i = 0; i < 50; i++) {
    const slots = await sql(admin,
      `SELECT slot_name, active_pid FROM pg_replication_slots WHERE database = $1`, [name]);
    if (slots.length === 0) break;
    for (const s of slots) {
      if (s.active_pid) await sql(admin, 'SELECT pg_terminate_backend($1)', [s.active_pid]);
      else await sql(admin, 'SELECT pg_drop_replication_slot($1)', [s.slot_name]).catch(() => {});
    }
    await sleep(100);
  }
  await sql(admin, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

/* The items table of PROTOCOL §17's setup. */
export async function createItems(db, rows = [[1, 'first', false], [2, 'second', true]]) {
  await db.sql('CREATE TABLE items (id int PRIMARY KEY, title text, done bool)');
  for (const r of rows) await db.sql('INSERT INTO items VALUES ($1, $2, $3)', r);
}

// ---------------------------------------------------------------- processes

/* Ports that are free now (bind to :0).  Each call returns a new one. */
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

function readProc(pid, file) {
  try {
    return fs.readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return null;
  }
}

/* { pid, ppid, state } from /proc/<pid>/stat, or null if gone. */
export function procStat(pid) {
  const s = readProc(pid, 'stat');
  if (s === null) return null;
  const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return { pid, state: rest[0], ppid: Number(rest[1]) };
}

/* A process counts as alive unless it is gone or a zombie (an orphan
 * whose reaper is slow still shows as Z). */
export function alive(pid) {
  const st = procStat(pid);
  return st !== null && st.state !== 'Z' && st.state !== 'X';
}

export function cmdline(pid) {
  const s = readProc(pid, 'cmdline');
  return s === null ? null : s.split('\0').filter((x) => x !== '');
}

/* Direct children of pid (live ones). */
export function childrenOf(pid) {
  const out = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const st = procStat(Number(d));
    if (st && st.ppid === pid && st.state !== 'Z') out.push(st.pid);
  }
  return out;
}

/* Every live descendant of pid. */
export function descendantsOf(pid) {
  const out = [];
  const todo = [pid];
  while (todo.length > 0) {
    for (const c of childrenOf(todo.pop())) {
      out.push(c);
      todo.push(c);
    }
  }
  return out;
}

/* { pid, role, shape } of a process started as "electricd --role R
 * [--shape H]"; role is null for anything else. */
export function procRole(pid) {
  const argv = cmdline(pid) || [];
  const i = argv.indexOf('--role');
  const j = argv.indexOf('--shape');
  return { pid, role: i >= 0 ? argv[i + 1] : null, shape: j >= 0 ? argv[j + 1] : null };
}

/* Polls fn() until it returns a truthy value; throws after ms. */
export async function waitFor(what, fn, ms = 10_000, every = 100) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) {
      const detail = last instanceof Error ? `: ${last.message}` : '';
      throw new Error(`timed out after ${ms} ms waiting for ${what}${detail}`);
    }
    await sleep(every);
  }
}

let streamCounter = 0;

/* Starts bin/electricd.  opts: databaseUrl (required), env (extra
 * variables), storageDir and port (fresh ones by default), wait ('active'
 * (default): until /v1/health is 200 {"status":"active"}; 'http': until
 * /v1/health answers at all; 'none').  Returns the instance object. */
export async function startElectricd(opts) {
  const storageDir = opts.storageDir || fs.mkdtempSync(path.join(TMP, 'electricd-'));
  const port = opts.port || await freePort();
  const streamId = `t${process.pid}_${++streamCounter}`;
  const logPath = path.join(storageDir, '..', `${path.basename(storageDir)}.log`);
  const env = {
    ...process.env,
    DATABASE_URL: opts.databaseUrl,
    ELECTRIC_PORT: String(port),
    ELECTRIC_STORAGE_DIR: storageDir,
    ELECTRIC_INSECURE: 'true',
    ELECTRIC_REPLICATION_STREAM_ID: streamId,
    ELECTRIC_LOG_LEVEL: 'info',
    ELECTRICD_TEST_RUN: RUN_MARK,
    ...(opts.env || {}),
  };
  delete env.ELECTRIC_SECRET;
  const e = {
    url: `http://127.0.0.1:${port}`,
    port,
    storageDir,
    logPath,
    env,
    proc: null,
    pid: null,
    exited: null,		// promise of { code, signal } for the current proc
    knownPids: new Set(),	// every child pid seen (for the exit handler)
    logTail: (n = 60) => logTail(logPath, n),
    log: () => (fs.existsSync(logPath) ? fs.readFileSync(logPath, 'utf8') : ''),
    kill: (signal = 'SIGTERM') => { try { process.kill(e.pid, signal); } catch { /* gone */ } },
    tree: () => processTree(e),
    stop: (ms) => stopElectricd(e, ms),
    restart: (o = {}) => launch(e, o.wait || 'active'),
  };
  instances.add(e);
  onCleanup(async () => {
    if (e.proc && e.proc.exitCode === null && e.proc.signalCode === null) {
      e.kill('SIGKILL');
      await e.exited;
    }
    for (const pid of e.knownPids) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    instances.delete(e);
    fs.rmSync(storageDir, { recursive: true, force: true });
  });
  await launch(e, opts.wait || 'active');
  return e;
}

async function launch(e, wait) {
  fs.appendFileSync(e.logPath, `===== ${new Date().toISOString()} starting ${ELECTRICD}\n`);
  const fd = fs.openSync(e.logPath, 'a');
  const proc = spawn(ELECTRICD, [], { env: e.env, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  e.proc = proc;
  e.pid = proc.pid;
  e.exited = new Promise((resolve) => {
    proc.on('exit', (code, signal) => resolve({ code, signal }));
    proc.on('error', (err) => resolve({ code: null, signal: null, err }));
  });
  if (wait === 'none') return e;
  const want = wait === 'active' ? 'health 200 {"status":"active"}' : 'an answer on /v1/health';
  let exit = null;
  e.exited.then((x) => { exit = x; });
  await waitFor(want, async () => {
    if (exit) {
      throw new Error(`electricd exited early (${JSON.stringify(exit)}):\n${e.logTail(30)}`);
    }
    for (const c of descendantsOf(e.pid)) e.knownPids.add(c);
    const r = await httpGet(e, '/v1/health').catch(() => null);
    if (r === null) return false;
    if (wait !== 'active') return true;
    return r.status === 200 && r.body?.status === 'active';
  }, 30_000, 100).catch((err) => {
    if (exit && !String(err.message).includes('exited early')) {
      err.message += `\nelectricd exited: ${JSON.stringify(exit)}`;
    }
    throw err;
  });
  for (const c of descendantsOf(e.pid)) e.knownPids.add(c);
  return e;
}

/* Root pid plus [{pid, role, shape}] of every live descendant. */
export function processTree(e) {
  const procs = descendantsOf(e.pid).map(procRole);
  for (const p of procs) e.knownPids.add(p.pid);
  return procs;
}

/* Stops electricd with SIGTERM and asserts that its whole tree is gone
 * within ms (default 5 s).  Throws (after SIGKILL) if not. */
async function stopElectricd(e, ms = 5000) {
  const tree = [e.pid, ...descendantsOf(e.pid)];
  for (const c of tree) e.knownPids.add(c);
  const t0 = Date.now();
  e.kill('SIGTERM');
  let timer;
  const res = await Promise.race([e.exited,
    new Promise((r) => { timer = setTimeout(() => r(null), ms); })]);
  clearTimeout(timer);
  if (res === null) {
    const left = tree.filter(alive).map(procRole);
    for (const pid of tree) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    await e.exited;
    throw new Error(`electricd did not exit within ${ms} ms of SIGTERM; still running: ${JSON.stringify(left)}`);
  }
  await waitFor('every electricd process to exit',
    () => tree.filter(alive).length === 0, Math.max(ms - (Date.now() - t0), 200), 50)
    .catch((err) => {
      const left = tree.filter(alive).map(procRole);
      for (const pid of tree) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
      err.message += `; still running: ${JSON.stringify(left)}`;
      throw err;
    });
  return { ...res, ms: Date.now() - t0 };
}

// ---------------------------------------------------------------- HTTP

/* GET/HEAD/... path on electricd.  Returns { status, headers (plain
 * object, lower-case names), text, body (parsed JSON or undefined), ms }. */
export async function httpGet(e, pathAndQuery, { method = 'GET', headers = {}, timeout = 30_000 } = {}) {
  const t0 = Date.now();
  const res = await fetch(`${e.url}${pathAndQuery}`, {
    method,
    headers,
    signal: AbortSignal.timeout(timeout),
  });
  const text = await res.text();
  let body;
  try { body = text === '' ? undefined : JSON.parse(text); } catch { body = undefined; }
  return {
    status: res.status,
    headers: Object.fromEntries(res.headers.entries()),
    text,
    body,
    ms: Date.now() - t0,
  };
}

/* GET /v1/shape with the given parameters (an object or [k, v] pairs). */
export function shapeGet(e, params, opts) {
  const qs = new URLSearchParams(params).toString();
  return httpGet(e, `/v1/shape?${qs}`, opts);
}

export const isChange = (m) => m && typeof m.key === 'string';
export const isUpToDate = (m) => m?.headers?.control === 'up-to-date';

/* Follows a shape from (handle, offset) like a live client until stop()
 * is called: catch-up requests until up-to-date, then live long-polls.
 * Every change message goes into .changes in arrival order; 409s and
 * unexpected statuses are recorded in .errors (the follower stops on a
 * 409).  Network errors and 503s are retried every 200 ms. */
export function follow(e, { table = 'items', handle, offset, extra = {} }) {
  const f = {
    handle,
    offset,
    changes: [],
    errors: [],
    upToDate: false,
    stopped: false,
    requests: 0,
  };
  let cursor = '';
  let ctrl = null;
  f.done = (async () => {
    while (!f.stopped) {
      const params = { table, handle: f.handle, offset: f.offset, ...extra };
      if (f.upToDate) Object.assign(params, { live: 'true', cursor });
      ctrl = new AbortController();
      let r;
      try {
        const qs = new URLSearchParams(params).toString();
        const res = await fetch(`${e.url}/v1/shape?${qs}`, { signal: ctrl.signal });
        r = { status: res.status, headers: Object.fromEntries(res.headers.entries()), text: await res.text() };
        f.requests++;
      } catch {
        if (!f.stopped) await sleep(200);
        continue;
      }
      if (r.status === 503) { await sleep(200); continue; }
      if (r.status !== 200) {
        f.errors.push(`${r.status} ${r.text}`);
        if (r.status === 409) break;
        await sleep(200);
        continue;
      }
      let body;
      try { body = JSON.parse(r.text); } catch { f.errors.push(`bad JSON: ${r.text}`); continue; }
      for (const m of body) if (isChange(m)) f.changes.push(m);
      if (body.length > 0 && isUpToDate(body[body.length - 1])) f.upToDate = true;
      f.offset = r.headers['electric-offset'] ?? f.offset;
      cursor = r.headers['electric-cursor'] ?? cursor;
    }
  })();
  f.stop = async () => {
    f.stopped = true;
    ctrl?.abort();
    await f.done;
  };
  onCleanup(() => f.stop());
  return f;
}

/* Change messages in f.changes whose key is the items row with this id. */
export function changesFor(f, id, table = 'items') {
  const key = `"public"."${table}"/"${id}"`;
  return f.changes.filter((m) => m.key === key);
}

// ---------------------------------------------------------------- electricctl

/* Runs bin/electricctl -d <storage> [--json] args...  Returns { code,
 * stdout, stderr, json }. */
export function ctl(e, args, { json = true } = {}) {
  const dir = typeof e === 'string' ? e : e.storageDir;
  const argv = ['-d', dir, ...(json ? ['--json'] : []), ...args];
  const r = spawnSync(ELECTRICCTL, argv, { encoding: 'utf8', timeout: 20_000 });
  let parsed;
  if (json) { try { parsed = JSON.parse(r.stdout); } catch { parsed = undefined; } }
  return {
    code: r.status,
    signal: r.signal,
    stdout: r.stdout,
    stderr: r.stderr,
    json: parsed,
    error: r.error,
    cmd: `electricctl ${argv.join(' ')}`,
  };
}

function logTail(p, n) {
  try {
    const lines = fs.readFileSync(p, 'utf8').split('\n');
    return lines.slice(-n - 1).join('\n');
  } catch {
    return '(no log)';
  }
}

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

import assert from 'node:assert/strict';
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
  // A consumer is forked, not exec'd: its title is one string of words
  // (common/proc.c proc_title_set), the others' argv NUL-separated.
  return s === null ? null : s.split(/[\0 ]/).filter((x) => x !== '');
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
 * variables), secret (secure mode instead of ELECTRIC_INSECURE),
 * storageDir and port (fresh ones by default), wait ('active'
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
  if (opts.secret) {		// secure mode (§1.3): exactly one of the two
    env.ELECTRIC_SECRET = opts.secret;
    delete env.ELECTRIC_INSECURE;
  }
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

/* GET/HEAD/POST/... path on electricd (opts.body: a request body).
 * Returns { status, headers (plain
 * object, lower-case names), text, body (parsed JSON or undefined), ms }. */
export async function httpGet(e, pathAndQuery,
  { method = 'GET', headers = {}, timeout = 30_000, body: reqBody } = {}) {
  const t0 = Date.now();
  const res = await fetch(`${e.url}${pathAndQuery}`, {
    method,
    headers,
    body: reqBody,
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

/* One request written byte for byte on a fresh TCP connection, for inputs
 * that fetch() would normalise or refuse (invalid escapes, raw bytes, NUL,
 * repeated headers).  target and header values are latin1 strings (each
 * char one byte) or Buffers; headers is a list of [name, value] pairs.
 * Returns { status, headers (lower-case; repeats joined by ", "),
 * rawHeaders, text, body (parsed JSON or undefined), ms }; throws if the
 * server closes without a complete response or after timeout ms. */
export function rawRequest(e, target, { method = 'GET', headers = [], body, timeout = 30_000 } = {}) {
  const bytes = (x) => (Buffer.isBuffer(x) ? x : Buffer.from(String(x), 'latin1'));
  const parts = [bytes(`${method} `), bytes(target), bytes(' HTTP/1.1\r\nHost: 127.0.0.1\r\n')];
  const hdrs = [...headers];
  if (!hdrs.some(([k]) => k.toLowerCase() === 'connection')) hdrs.push(['Connection', 'close']);
  if (body !== undefined) hdrs.push(['Content-Length', String(bytes(body).length)]);
  for (const [k, v] of hdrs) parts.push(bytes(`${k}: `), bytes(v), bytes('\r\n'));
  parts.push(bytes('\r\n'));
  if (body !== undefined) parts.push(bytes(body));
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    let done = false;
    const sock = net.connect(e.port, '127.0.0.1');
    const finish = (err, res) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve({ ...res, ms: Date.now() - t0 });
    };
    const timer = setTimeout(() => finish(new Error(
      `raw ${method} ${String(target).slice(0, 80)}: no complete response in ${timeout} ms; ` +
      `got ${JSON.stringify(buf.toString('latin1').slice(0, 300))}`)), timeout);
    const tryParse = (eof) => {
      const res = parseRawResponse(buf, method === 'HEAD', eof);
      if (res) finish(null, res);
      else if (eof) {
        finish(new Error(`raw ${method} ${String(target).slice(0, 80)}: connection closed ` +
          `after ${buf.length} bytes: ${JSON.stringify(buf.toString('latin1').slice(0, 300))}`));
      }
    };
    sock.on('connect', () => sock.write(Buffer.concat(parts)));
    sock.on('data', (d) => { buf = Buffer.concat([buf, d]); tryParse(false); });
    sock.on('end', () => tryParse(true));
    sock.on('error', (err) => {
      // A reset after a complete response is fine.
      const res = parseRawResponse(buf, method === 'HEAD', true);
      if (res) finish(null, res);
      else finish(new Error(`raw ${method}: ${err.message}`));
    });
  });
}

/* A complete HTTP/1.1 response in buf, or null if more bytes are needed. */
function parseRawResponse(buf, head, eof) {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
  if (!m) throw new Error(`not an HTTP response: ${JSON.stringify(lines[0])}`);
  const status = Number(m[1]);
  const headers = {};
  const rawHeaders = [];
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    const k = l.slice(0, i).trim().toLowerCase();
    const v = l.slice(i + 1).trim();
    rawHeaders.push([k, v]);
    headers[k] = k in headers ? `${headers[k]}, ${v}` : v;
  }
  let rest = buf.subarray(end + 4);
  let bodyBuf;
  if (head || status === 204 || status === 304) {
    bodyBuf = Buffer.alloc(0);
  } else if (/chunked/i.test(headers['transfer-encoding'] || '')) {
    const chunks = [];
    for (;;) {
      const nl = rest.indexOf('\r\n');
      if (nl < 0) return null;
      const n = parseInt(rest.subarray(0, nl).toString('latin1'), 16);
      if (rest.length < nl + 2 + n + 2) return null;
      if (n === 0) break;
      chunks.push(rest.subarray(nl + 2, nl + 2 + n));
      rest = rest.subarray(nl + 2 + n + 2);
    }
    bodyBuf = Buffer.concat(chunks);
  } else if (headers['content-length'] !== undefined) {
    const n = Number(headers['content-length']);
    if (rest.length < n) return null;
    bodyBuf = rest.subarray(0, n);
  } else {
    if (!eof) return null;
    bodyBuf = rest;
  }
  const text = bodyBuf.toString('utf8');
  let body;
  try { body = text === '' ? undefined : JSON.parse(text); } catch { body = undefined; }
  return { status, headers, rawHeaders, text, body };
}

/* Opens a live SSE request (GET /v1/shape with params, Accept:
 * text/event-stream) and reads it in the background.  Returns
 * { status, headers, events: [{ t (ms since open), data (parsed JSON) |
 * comment (text) }], raw (all bytes read so far, as text), ended (promise,
 * resolves when the server ends the stream), endedAt, waitFor(what, pred,
 * ms) (waits until pred(events) is truthy), close() }.  For a non-200
 * answer, text holds the whole body and events stays empty. */
export async function sseOpen(e, params, { headers = {} } = {}) {
  const ctrl = new AbortController();
  const t0 = Date.now();
  const qs = new URLSearchParams(params).toString();
  const res = await fetch(`${e.url}/v1/shape?${qs}`, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: ctrl.signal,
  });
  const s = {
    status: res.status,
    headers: Object.fromEntries(res.headers.entries()),
    events: [],
    raw: '',
    text: undefined,
    endedAt: null,
    close: () => ctrl.abort(),
  };
  onCleanup(() => ctrl.abort());
  if (res.status !== 200 || !/^text\/event-stream/.test(s.headers['content-type'] || '')) {
    s.text = await res.text();
    try { s.body = JSON.parse(s.text); } catch { /* not JSON */ }
    s.endedAt = Date.now() - t0;
    s.ended = Promise.resolve();
    s.waitFor = async () => { throw new Error(`not an SSE stream: ${s.status} ${s.text}`); };
    return s;
  }
  const decoder = new TextDecoder();
  let pending = '';
  s.ended = (async () => {
    try {
      for await (const chunk of res.body) {
        const str = decoder.decode(chunk, { stream: true });
        s.raw += str;
        pending += str;
        let i;
        while ((i = pending.indexOf('\n\n')) >= 0) {
          const block = pending.slice(0, i);
          pending = pending.slice(i + 2);
          const t = Date.now() - t0;
          const data = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) s.events.push({ t, comment: line.slice(1).trim() });
            else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
          }
          if (data.length > 0) {
            let parsed;
            try { parsed = JSON.parse(data.join('\n')); } catch { parsed = { unparsable: data.join('\n') }; }
            s.events.push({ t, data: parsed });
          }
        }
      }
    } catch (err) {
      if (err.name !== 'AbortError') s.error = err;
    }
    s.endedAt = Date.now() - t0;
  })();
  s.waitFor = (what, pred, ms = 10_000) => waitFor(what, () => {
    if (pred(s.events)) return true;
    if (s.endedAt !== null) throw new Error(`stream ended (${s.raw.slice(-300)})`);
    return false;
  }, ms, 20);
  return s;
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

// ---------------------------------------------------------------- protocol

/* Header values and bodies PROTOCOL.md pins exactly (§1.2, §4.4, §5.3). */
export const EXPOSE_HEADERS = 'electric-cursor,electric-handle,electric-has-data,electric-offset,' +
  'electric-schema,electric-up-to-date,electric-internal-known-error,retry-after';
export const CACHE = {
  minusOne: 'public, max-age=604800, s-maxage=3600, stale-while-revalidate=2629746',
  catchup: 'public, max-age=60, stale-while-revalidate=300',
  live: 'public, max-age=5, stale-while-revalidate=5',
  sse: 'public, max-age=59',
  refetch: 'public, max-age=60, must-revalidate',
  refetchNoHandle: 'public, max-age=1, must-revalidate',
};
export const MUST_REFETCH_BODY = '[{"headers":{"control":"must-refetch"}}]';

/* A §2.2 validation error: 400, the exact body, no-store. */
export function assert400(r, field, messages, what = field) {
  assert.equal(r.status, 400, `${what}: status; body ${r.text}`);
  assert.deepEqual(r.body, { message: 'Invalid request', errors: { [field]: messages } },
    `${what}: body ${r.text}`);
  assert.equal(r.headers['cache-control'], 'no-store', `${what}: cache-control`);
  assert.equal(r.headers['surrogate-control'], 'no-store', `${what}: surrogate-control`);
  assert.equal(r.headers['electric-has-data'], undefined, `${what}: no electric-has-data`);
}

/* A §4.4 must-refetch: 409, the exact body, no offset/schema/cursor, the
 * cache-control that goes with the presence of electric-handle.  want:
 * the handle the 409 must name (undefined: any or none).  Returns the
 * electric-handle header. */
export function assert409(r, want, what = '409') {
  assert.equal(r.status, 409, `${what}: status; body ${r.text}`);
  assert.equal(r.text, MUST_REFETCH_BODY, `${what}: body`);
  const h = r.headers['electric-handle'];
  if (want !== undefined) assert.equal(h, want, `${what}: electric-handle`);
  assert.equal(r.headers['cache-control'], h ? CACHE.refetch : CACHE.refetchNoHandle,
    `${what}: cache-control (electric-handle ${h})`);
  for (const name of ['electric-offset', 'electric-schema', 'electric-cursor']) {
    assert.equal(r.headers[name], undefined, `${what}: no ${name}`);
  }
  return h;
}

/* A body that is exactly one up-to-date control message. */
export function assertUpToDateOnly(r, what = 'body') {
  assert.ok(Array.isArray(r.body), `${what} is an array: ${r.text}`);
  assert.equal(r.body.length, 1, `${what}: only up-to-date: ${r.text}`);
  assert.deepEqual(Object.keys(r.body[0]), ['headers']);
  assert.deepEqual(Object.keys(r.body[0].headers).sort(), ['control', 'global_last_seen_lsn']);
  assert.equal(r.body[0].headers.control, 'up-to-date');
  assert.match(r.body[0].headers.global_last_seen_lsn, /^\d+$/);
}

/* Reads a shape from offset=-1 to up-to-date with catch-up requests.
 * Returns { handle, offset, responses: [{ offset (requested), r }],
 * messages (every message in order) }.  Asserts 200s. */
export async function readToEnd(e, params, { max = 1000 } = {}) {
  let r = await shapeGet(e, { ...params, offset: '-1' });
  assert.equal(r.status, 200, `offset=-1: ${r.text}`);
  const handle = r.headers['electric-handle'];
  const responses = [{ offset: '-1', r }];
  const messages = [...r.body];
  let offset = r.headers['electric-offset'];
  for (let i = 0; i < max; i++) {
    r = await shapeGet(e, { ...params, offset, handle });
    assert.equal(r.status, 200, `offset=${offset}: ${r.text}`);
    responses.push({ offset, r });
    messages.push(...r.body);
    offset = r.headers['electric-offset'];
    if (r.headers['electric-up-to-date'] !== undefined) return { handle, offset, responses, messages };
  }
  throw new Error(`no up-to-date after ${max} requests`);
}

/* The real client following params (default: the items table) with
 * ShapeStream + Shape; errors collected, stopped at cleanup.  Returns
 * { shape, errors, stop }. */
export async function startShapeClient(e, params = { table: 'items' }) {
  const { Shape, ShapeStream } = await importClient();
  const ctrl = new AbortController();
  const errors = [];
  const stream = new ShapeStream({
    url: `${e.url}/v1/shape`,
    params,
    signal: ctrl.signal,
    onError: (err) => { errors.push(String(err?.stack || err)); },
  });
  const shape = new Shape(stream);
  const c = {
    shape,
    errors,
    stop: () => { shape.unsubscribeAll(); stream.unsubscribeAll(); ctrl.abort(); },
  };
  onCleanup(c.stop);
  return c;
}

/* Loads @electric-sql/client.  The client keeps a module-level 60 s
 * throttle timer (its up-to-date tracker) that is never cleared and would
 * hold a test file open for a minute after its tests: timers of 30 s and
 * more are unref'd first, so they never keep the process alive.  The
 * import is dynamic so that the client sees the patch. */
export async function importClient() {
  if (!globalThis.__electricdTimersUnref) {
    const realSetTimeout = globalThis.setTimeout;
    globalThis.setTimeout = (fn, ms, ...args) => {
      const t = realSetTimeout(fn, ms, ...args);
      if (ms >= 30_000) t.unref?.();
      return t;
    };
    globalThis.__electricdTimersUnref = true;
  }
  return import('@electric-sql/client');
}

/* A writer that commits one transaction per row id, inserting (id,
 * 'r<id>') into every table, every ms milliseconds, until stop() (or the
 * test's clean-up).  w.written is the last id committed; w.errors the
 * failed commits (rolled back, the id retried). */
export function rowWriter(db, tables, ms = 40) {
  const w = { written: 0, errors: [], writing: true };
  const loop = (async () => {
    while (w.writing) {
      const id = w.written + 1;
      try {
        await db.sql(`BEGIN; ${tables.map((t) => `INSERT INTO ${t} VALUES (${id}, 'r${id}');`).join(' ')} COMMIT`);
        w.written = id;
      } catch (err) {
        w.errors.push(String(err));
        await db.sql('ROLLBACK').catch(() => {});
      }
      await sleep(ms);
    }
  })();
  w.stop = async () => { w.writing = false; await loop; };
  onCleanup(w.stop);		// on failure too
  return w;
}

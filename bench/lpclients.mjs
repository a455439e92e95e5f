// lpclients.mjs: many raw keep-alive HTTP/1.1 long-poll clients for the
// benchmarks that need thousands of them (s6 fan-out, s7 idle connections,
// s10 behind nginx).  Used by bench/s6_fanout.mjs, s7_memory.mjs and
// s10_cdn.mjs; not a scenario itself (run.mjs only runs s<N>_*.mjs).
//
// The clients live in `workers` forked node processes (this same file,
// started with --lp-worker), so that reading 10,000 answers does not queue
// behind one event loop.  Each client is one TCP connection that follows a
// shape live: GET <path>?<query>&offset=O&handle=H&live=true&cursor=C, and
// after each answer the next request with the answer's electric-offset and
// electric-cursor.  Times are process.hrtime.bigint() (CLOCK_MONOTONIC,
// the same clock in every process on the machine), so a worker's answer
// time can be compared with the parent's commit time.
//
// Parent API:
//   const lp = await LpClients.open({ host, port, n, workers, impl });
//                          impl 'node' (default): node workers; 'c': one
//                          bin/lpfan process (bench/lpfan.c), the same
//                          clients at a fraction of the CPU
//   await lp.start(specs)  specs[i] = { query, offset, handle, cursor, sse }
//                          (query: the shape's own parameters, a string;
//                          sse: an SSE stream instead of long-polls, impl
//                          'c' only)
//   lp.dataCount()         answers with data received so far (all clients)
//   await lp.waitData(k, ms)  until every client has had k answers with
//                          data; returns [{ t (bigint ns), status }...] of
//                          each client's k-th data answer
//   await lp.stop()        closes every connection, ends the workers
// The HTTP parser is minimal on purpose (status line, headers,
// content-length or chunked bodies): it reads electricd and nginx only.

import { fork, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
const LPFAN = process.env.LPFAN_BIN || path.join(path.dirname(SELF), '..', 'bin', 'lpfan');

// ---------------------------------------------------------------- worker

/* One connection's parser state and its live loop. */
class Conn {
  constructor(w, idx) {
    this.w = w;
    this.idx = idx;
    this.buf = Buffer.alloc(0);
    this.head = null;		// parsed head of the answer being read
    this.data = [];		// [t, status] of each answer with data
    this.spec = null;
    this.stopped = false;
  }

  connect() {
    return new Promise((resolve, reject) => {
      this.sock = net.connect({ host: this.w.host, port: this.w.port }, resolve);
      this.sock.setNoDelay(true);
      this.sock.once('error', reject);
      this.sock.on('data', (d) => this.onData(d));
      this.sock.on('close', () => this.onClose());
    });
  }

  send() {
    const s = this.spec;
    const q = `${s.query}&offset=${s.offset}&handle=${s.handle}` +
      (s.live === false ? '' : `&live=true&cursor=${encodeURIComponent(s.cursor ?? '')}`);
    this.sock.write(`GET ${this.w.path}?${q} HTTP/1.1\r\nHost: ${this.w.host}\r\n` +
      'Connection: keep-alive\r\n\r\n');
  }

  onData(d) {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    for (;;) {
      if (!this.head) {
        const e = this.buf.indexOf('\r\n\r\n');
        if (e < 0) return;
        this.head = parseHead(this.buf.subarray(0, e).toString('latin1'));
        this.buf = this.buf.subarray(e + 4);
      }
      const n = bodyEnd(this.head, this.buf);
      if (n < 0) return;
      this.buf = this.buf.subarray(n);
      const h = this.head;
      this.head = null;
      this.onAnswer(h);
    }
  }

  onAnswer(h) {
    const t = process.hrtime.bigint();
    const hdr = h.headers;
    this.w.answers++;
    if (h.status === 200 && hdr['electric-has-data'] !== 'false') {
      this.data.push([String(t), h.status]);
      this.w.dataAnswers++;
    } else if (h.status !== 200 && h.status !== 304) {
      this.w.errors++;
      this.w.lastError = `${h.status}`;
    }
    if (this.spec.live === false) this.data.push([String(t), h.status]);
    if (hdr['electric-offset']) this.spec.offset = hdr['electric-offset'];
    if (hdr['electric-cursor'] !== undefined) this.spec.cursor = hdr['electric-cursor'];
    if (this.stopped || this.spec.live === false) return;
    if (h.status >= 400) setTimeout(() => this.send(), 200);	// 503: retry
    else this.send();
  }

  onClose() {
    if (this.stopped) return;
    this.w.reconnects++;
    this.head = null;
    this.buf = Buffer.alloc(0);
    this.connect().then(() => this.send(), () => { this.w.errors++; });
  }
}

function parseHead(text) {
  const lines = text.split('\r\n');
  const status = Number(lines[0].split(' ')[1]);
  const headers = {};
  for (let i = 1; i < lines.length; i++) {
    const c = lines[i].indexOf(':');
    if (c > 0) headers[lines[i].slice(0, c).toLowerCase()] = lines[i].slice(c + 1).trim();
  }
  return { status, headers };
}

/* Bytes of buf that complete the body of head, or -1 if not there yet. */
function bodyEnd(head, buf) {
  const cl = head.headers['content-length'];
  if (cl !== undefined) return buf.length >= Number(cl) ? Number(cl) : -1;
  if (/chunked/i.test(head.headers['transfer-encoding'] || '')) {
    let p = 0;
    for (;;) {
      const e = buf.indexOf('\r\n', p);
      if (e < 0) return -1;
      const size = parseInt(buf.subarray(p, e).toString('latin1'), 16);
      if (size === 0) return buf.length >= e + 4 ? e + 4 : -1;
      p = e + 2 + size + 2;
      if (p > buf.length) return -1;
    }
  }
  return head.status === 304 || head.status === 204 ? 0 : buf.length;
}

async function workerMain() {
  const w = { answers: 0, dataAnswers: 0, errors: 0, reconnects: 0, lastError: '' };
  let conns = [];
  process.on('message', async (m) => {
    if (m.cmd === 'open') {
      Object.assign(w, { host: m.host, port: m.port, path: m.path });
      conns = Array.from({ length: m.n }, (_, i) => new Conn(w, i));
      for (let i = 0; i < conns.length; i += 200) {
        await Promise.all(conns.slice(i, i + 200).map((c) => c.connect()));
      }
      process.send({ ev: 'opened' });
    } else if (m.cmd === 'start') {
      m.specs.forEach((s, i) => { conns[i].spec = { ...s }; conns[i].send(); });
      process.send({ ev: 'started' });
    } else if (m.cmd === 'poll') {
      process.send({ ev: 'poll', answers: w.answers, data: w.dataAnswers, errors: w.errors,
        reconnects: w.reconnects, lastError: w.lastError,
        minData: conns.reduce((a, c) => Math.min(a, c.data.length), Infinity) });
    } else if (m.cmd === 'times') {
      process.send({ ev: 'times', times: conns.map((c) => c.data[m.k - 1] || null) });
    } else if (m.cmd === 'stop') {
      for (const c of conns) { c.stopped = true; c.sock?.destroy(); }
      process.send({ ev: 'stopped' });
      process.disconnect();
    }
  });
}

// ---------------------------------------------------------------- parent

/* Until every client of lp has k data answers, or ms pass. */
async function untilMinData(lp, k, ms) {
  const end = Date.now() + ms;
  while ((await lp.status()).minData < k && Date.now() <= end) {
    await new Promise((r) => setTimeout(r, 5));
  }
}

export class LpClients {
  static async open({ host = '127.0.0.1', port, n, workers = 2, path: p = '/v1/shape', impl = 'node' }) {
    if (impl === 'c') return CLpClients.open({ host, port, n, path: p });
    const lp = new LpClients();
    const per = Math.ceil(n / workers);
    lp.sizes = [];
    for (let left = n; left > 0; left -= per) lp.sizes.push(Math.min(per, left));
    lp.ws = lp.sizes.map(() => fork(SELF, ['--lp-worker'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }));
    lp.pending = lp.ws.map(() => []);
    lp.ws.forEach((w, i) => w.on('message', (m) => lp.pending[i].shift()?.(m)));
    await lp.all((i) => ({ cmd: 'open', host, port, path: p, n: lp.sizes[i] }));
    return lp;
  }

  /* Sends a command to every worker; resolves their answers. */
  all(cmdOf) {
    return Promise.all(this.ws.map((w, i) => new Promise((resolve) => {
      this.pending[i].push(resolve);
      w.send(cmdOf(i));
    })));
  }

  async start(specs) {
    let at = 0;
    await this.all((i) => {
      const s = specs.slice(at, at + this.sizes[i]);
      at += this.sizes[i];
      return { cmd: 'start', specs: s };
    });
  }

  async status() {
    const ps = await this.all(() => ({ cmd: 'poll' }));
    const sum = (k) => ps.reduce((a, p) => a + p[k], 0);
    return { answers: sum('answers'), data: sum('data'), errors: sum('errors'),
      reconnects: sum('reconnects'), minData: Math.min(...ps.map((p) => p.minData)),
      lastError: ps.map((p) => p.lastError).filter(Boolean).join(',') };
  }

  /* Until every client has k data answers (or ms pass); returns the
   * times of each client's k-th one (null: not received). */
  async waitData(k, ms = 60_000) {
    await untilMinData(this, k, ms);
    const ts = await this.all(() => ({ cmd: 'times', k }));
    return ts.flatMap((m) => m.times.map((x) => (x ? { t: BigInt(x[0]), status: x[1] } : null)));
  }

  async stop() {
    await this.all(() => ({ cmd: 'stop' })).catch(() => {});
    for (const w of this.ws) { try { w.kill('SIGKILL'); } catch { /* gone */ } }
  }
}

/* The same API over one bin/lpfan process (stdin/stdout lines, see
 * bench/lpfan.c). */
class CLpClients {
  static async open({ host, port, n, path: p }) {
    if (!fs.existsSync(LPFAN)) throw new Error(`${LPFAN} is missing: make bin/lpfan`);
    const lp = new CLpClients();
    lp.n = n;
    lp.child = spawn(LPFAN, [host, String(port), p, String(n)], { stdio: ['pipe', 'pipe', 'inherit'] });
    lp.waiters = [];
    lp.exited = new Promise((resolve) => lp.child.on('exit', resolve));
    let buf = '';
    lp.child.stdout.setEncoding('latin1');
    lp.child.stdout.on('data', (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        lp.waiters.shift()?.resolve(line);
      }
    });
    lp.child.on('exit', (code) => {
      for (const w of lp.waiters.splice(0)) w.reject(new Error(`lpfan exited (${code})`));
    });
    await lp.line(null);
    return lp;
  }

  /* Writes text (if any) and resolves lpfan's next line. */
  line(text) {
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      if (text !== null) this.child.stdin.write(text);
    });
  }

  async start(specs) {
    const lines = specs.map((s) => [s.query, s.offset, s.handle,
      encodeURIComponent(s.cursor ?? ''), s.live === false ? 0 : s.sse ? 2 : 1].join('\t'));
    await this.line(`start\n${lines.join('\n')}\n`);
  }

  async status() {
    const f = (await this.line('poll\n')).split(' ');
    return { answers: Number(f[1]), data: Number(f[2]), errors: Number(f[3]),
      reconnects: Number(f[4]), minData: Number(f[5]), lastError: f[6] === '-' ? '' : f[6] };
  }

  async waitData(k, ms = 60_000) {
    await untilMinData(this, k, ms);
    const f = (await this.line(`times ${k}\n`)).split(' ').slice(1);
    return f.map((x) => {
      if (x === '-') return null;
      const [t, st] = x.split(':');
      return { t: BigInt(t), status: Number(st) };
    });
  }

  async stop() {
    await this.line('stop\n').catch(() => {});
    try { this.child.kill('SIGKILL'); } catch { /* gone */ }
    await this.exited;
  }
}

if (process.argv.includes('--lp-worker')) workerMain();

/* GET /metrics of electricd (ELECTRIC_PROMETHEUS_PORT): { 'name{labels}':
 * value }. */
export async function scrapeMetrics(promUrl) {
  const text = await (await fetch(`${promUrl}/metrics`)).text();
  const out = {};
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+(?:\{[^}]*\})?) (-?[\d.e+]+)$/.exec(line);
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}

/* Until electricd holds `n` live long-polls waiting for a change (lp:
 * the clients, whose state the error then reports; state 'sse': n open
 * SSE streams). */
export async function waitHeld(promUrl, n, ms = 60_000, lp = null, state = 'wait-live') {
  const end = Date.now() + ms;
  let held = 0;
  while (Date.now() < end) {
    held = (await scrapeMetrics(promUrl))[`electricd_http_requests_in_flight{state="${state}"}`] || 0;
    if (held >= n) return held;
    await new Promise((r) => setTimeout(r, 100));
  }
  const st = lp ? ` (clients: ${JSON.stringify(await lp.status())})` : '';
  throw new Error(`only ${held} of ${n} live requests are held after ${ms} ms${st}`);
}

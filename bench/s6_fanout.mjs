// s6_fanout: issue 7 scenario 6, two fan-out latencies (run by
// bench/run.mjs; `node bench/s6_fanout.mjs --size smoke|full`).
//
//  a) one write reaching N long-poll clients of one shape (full: 10,000):
//     every client holds a live request on the same shape; one INSERT
//     commits; the figure is the commit -> answer time of each client,
//     p50/p99/max over `writes` writes after one warm-up write (target
//     p99 <= 100 ms).
//     For information, the same clients then follow the shape over SSE
//     (live_sse, one open stream each: a change is one chunk per client,
//     no answer headers, no new request).
//  b) one 50-row transaction hitting S overlapping shapes (full: 1,500;
//     `v > k` for k = 0..S-1, every row matches all): one live client per
//     shape; the figure is the time until the last of the S long-polls has
//     its answer (target <= 50 ms), with p50/p99 as extra fields.
//
// Times run from just before the statement is sent (so they include
// Postgres' commit) to the moment a client has read the whole answer; the
// clients are raw keep-alive sockets in one C process (bin/lpfan, through
// lpclients.mjs; `--impl node` for node worker processes), on the same 2
// cores as electricd and Postgres.  The targets are absolute; part a also
// runs a baseline in the same run: bin/lpfloor (bench/lpfloor.c), a
// server that only holds the same clients' requests and writes them all
// the bytes of a real electricd answer (captured here) when told, i.e.
// the kernel's and the clients' share of the time, which no server can
// avoid on this machine.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

import { LpClients, waitHeld } from './lpclients.mjs';
import {
  ROOT, TMP, diffByRole, emit, freePort, main, onCleanup, percentile, pool, procRole, readToEnd, runAsync, say, sleep,
  startElectricd, startPostgres,
} from './lib.mjs';

const LPFLOOR = process.env.LPFLOOR_BIN || path.join(ROOT, 'bin/lpfloor');

const SIZES = {
  smoke: { clients: 100, writes: 2, shapes: 10, workers: 1, impl: 'c' },
  full: { clients: 10_000, writes: 5, shapes: 1_500, workers: 2, impl: 'c' },
};

/* BENCH_PERF=file (BENCH_PERF_SSE=file): perf record -g of the http
 * process during part a's long-polls (SSE streams). */
function perfHttp(e, file = process.env.BENCH_PERF) {
  if (!file) return null;
  const pid = httpPid(e);
  const p = runAsync('perf', ['record', ...(process.env.BENCH_PERF_DWARF ? ['--call-graph', 'dwarf,16384'] : ['-g']), '-o', file, '-p', String(pid)]);
  return { stop: async () => { p.child.kill('SIGINT'); await p.done; } };
}

/* CPU time (user+sys, ms) of one process so far. */
function cpuMs(pid) {
  if (!pid) return 0;
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

const httpPid = (e) => e.tree().find((p) => procRole(p) === 'http');

const ms = (ns) => Number(ns) / 1e6;

/* Commit one statement and wait for k data answers on every client;
 * returns the latencies (ms) of the clients' k-th answers. */
async function writeAndWait(db, lp, k, text, cpu = {}) {
  const c0 = cpuMs(cpu.pid);
  const t0 = process.hrtime.bigint();
  await db.query(text);
  const times = await lp.waitData(k, 60_000);
  cpu.ms = (cpu.ms || 0) + cpuMs(cpu.pid) - c0;
  const missing = times.filter((x) => x === null).length;
  if (missing > 0) throw new Error(`${missing} clients got no answer (${JSON.stringify(await lp.status())})`);
  return times.map((x) => ms(x.t - t0));
}

/* The raw bytes (head and body) of one live answer of electricd: a live
 * request at the shape's end, answered by `text` committing. */
async function captureAnswer(e, db, query, r, text) {
  const sock = net.connect({ host: '127.0.0.1', port: e.port });
  await new Promise((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject); });
  const chunks = [];
  sock.on('data', (d) => chunks.push(d));
  sock.write(`GET /v1/shape?${query}&offset=${r.offset}&handle=${r.handle}&live=true&cursor= HTTP/1.1\r\n` +
    'Host: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n');
  await sleep(300);
  await db.query(text);
  const end = Date.now() + 10_000;
  for (;;) {
    const b = Buffer.concat(chunks);
    const h = b.indexOf('\r\n\r\n');
    const m = h > 0 ? /content-length: *(\d+)/i.exec(b.subarray(0, h).toString('latin1')) : null;
    if (m && b.length >= h + 4 + Number(m[1])) { sock.destroy(); return b.subarray(0, h + 4 + Number(m[1])); }
    if (Date.now() > end) throw new Error('no live answer to capture');
    await sleep(10);
  }
}

/* Part a's baseline: the same clients against bin/lpfloor serving the
 * captured answer; latencies (ms) from "fire" to each client's answer. */
async function floor(sz, answer, r) {
  if (!fs.existsSync(LPFLOOR)) throw new Error(`${LPFLOOR} is missing: make bin/lpfloor`);
  const file = path.join(TMP, `lpfloor-answer-${process.pid}`);
  fs.writeFileSync(file, answer);
  const port = await freePort();
  const child = spawn(LPFLOOR, [String(port), file], { stdio: ['pipe', 'pipe', 'inherit'] });
  onCleanup(() => { try { child.kill('SIGKILL'); } catch { /* gone */ } fs.rmSync(file, { force: true }); });
  const lines = [];
  const waiters = [];
  let buf = '';
  child.stdout.setEncoding('latin1');
  child.stdout.on('data', (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const w = waiters.shift();
      if (w) w(line); else lines.push(line);
    }
  });
  const next = (cmd) => new Promise((resolve) => {
    if (lines.length) resolve(lines.shift()); else waiters.push(resolve);
    if (cmd) child.stdin.write(cmd);
  });
  await next(null);	// "listening"
  const lp = await LpClients.open({ port, n: sz.clients, workers: sz.workers, impl: sz.impl });
  try {
    await lp.start(Array.from({ length: sz.clients },
      () => ({ query: 'table=fan', offset: r.offset, handle: r.handle, cursor: '' })));
    const lat = [];
    for (let k = 1; k <= sz.writes + 1; k++) {
      const end = Date.now() + 60_000;
      while (Number((await next('held\n')).split(' ')[1]) < sz.clients) {
        if (Date.now() > end) throw new Error('lpfloor: the clients did not all ask');
        await sleep(20);
      }
      const t0 = process.hrtime.bigint();
      await next('fire\n');
      const times = await lp.waitData(k, 60_000);
      if (times.some((x) => x === null)) throw new Error('lpfloor: a client got no answer');
      const l = times.map((x) => ms(x.t - t0));
      say(`floor write ${k}${k === 1 ? ' (warm-up, not counted)' : ''}: p50 ${percentile(l, 0.5).toFixed(1)} ms, ` +
        `p99 ${percentile(l, 0.99).toFixed(1)} ms`);
      if (k > 1) lat.push(...l);
    }
    return lat;
  } finally {
    await lp.stop();
    child.stdin.end('stop\n');
  }
}

async function fanout(db, e, prom, sz, size) {
  await db.query('CREATE TABLE fan (id int PRIMARY KEY, v text)');
  await db.query("INSERT INTO fan VALUES (1, 'x')");
  const r = await readToEnd(e.url, { table: 'fan' });
  const lp = await LpClients.open({ port: e.port, n: sz.clients, workers: sz.workers, impl: sz.impl });
  const perf = perfHttp(e);
  const lat = [];
  const cpu = { pid: httpPid(e) };
  try {
    await lp.start(Array.from({ length: sz.clients },
      () => ({ query: 'table=fan', offset: r.offset, handle: r.handle, cursor: '' })));
    for (let k = 1; k <= sz.writes + 1; k++) {
      await waitHeld(prom, sz.clients, 60_000, lp);
      const l = await writeAndWait(db, lp, k, `INSERT INTO fan VALUES (${k + 1}, 'row ${k}')`, k > 1 ? cpu : {});
      say(`fan-out write ${k}${k === 1 ? ' (warm-up, not counted)' : ''}: p50 ${percentile(l, 0.5).toFixed(1)} ms, ` +
        `p99 ${percentile(l, 0.99).toFixed(1)} ms, max ${Math.max(...l).toFixed(1)} ms`);
      if (k > 1) lat.push(...l);
    }
  } finally {
    await perf?.stop();
    await lp.stop();
  }
  const sse = sz.impl === 'c' ? await fanoutSse(db, e, prom, sz, 100 * (sz.writes + 3)) : null;
  const rr = await readToEnd(e.url, { table: 'fan' });
  const answer = await captureAnswer(e, db, 'table=fan', rr, `INSERT INTO fan VALUES (${sz.writes + 3}, 'capture')`);
  const fl = await floor(sz, answer, rr);
  const p99 = percentile(lat, 0.99);
  emit({ scenario: 6, name: `one write to ${sz.clients} long-polls`, metric: 'p99 ms',
    baseline: 'lpfloor p99 ms', baseline_value: percentile(fl, 0.99), value: p99, target: 'p99 <= 100 ms',
    pass: p99 <= 100, size, p50: percentile(lat, 0.5), max: Math.max(...lat),
    floor_p50: percentile(fl, 0.5), answer_bytes: answer.length,
    samples: lat.length, writes: sz.writes,
    http_cpu_us_per_answer: (cpu.ms * 1000) / (sz.clients * sz.writes) });
  if (sse) {
    emit({ scenario: 6, name: `one write to ${sz.clients} SSE streams (information)`, metric: 'p99 ms',
      baseline: 'lpfloor p99 ms', baseline_value: percentile(fl, 0.99), value: percentile(sse.lat, 0.99),
      target: null, pass: null, size, p50: percentile(sse.lat, 0.5), max: Math.max(...sse.lat),
      samples: sse.lat.length, writes: sz.writes,
      http_cpu_us_per_answer: (sse.cpu.ms * 1000) / (sz.clients * sz.writes) });
  }
}

/* The same fan-out to SSE streams (rows from id `first` on); returns the
 * latencies (ms) and the http CPU. */
async function fanoutSse(db, e, prom, sz, first) {
  const r = await readToEnd(e.url, { table: 'fan' });
  const lp = await LpClients.open({ port: e.port, n: sz.clients, impl: 'c' });
  const lat = [];
  const cpu = { pid: httpPid(e) };
  const perf = perfHttp(e, process.env.BENCH_PERF_SSE ?? null);
  try {
    await lp.start(Array.from({ length: sz.clients },
      () => ({ query: 'table=fan', offset: r.offset, handle: r.handle, cursor: '', sse: true })));
    await waitHeld(prom, sz.clients, 60_000, lp, 'sse');
    for (let k = 1; k <= sz.writes + 1; k++) {
      await sleep(500);
      const l = await writeAndWait(db, lp, k, `INSERT INTO fan VALUES (${first + k}, 'sse ${k}')`, k > 1 ? cpu : {});
      say(`SSE write ${k}${k === 1 ? ' (warm-up, not counted)' : ''}: p50 ${percentile(l, 0.5).toFixed(1)} ms, ` +
        `p99 ${percentile(l, 0.99).toFixed(1)} ms`);
      if (k > 1) lat.push(...l);
    }
  } finally {
    await perf?.stop();
    await lp.stop();
  }
  return { lat, cpu };
}

async function overlap(db, e, prom, sz, size) {
  await db.query('CREATE TABLE ov (id int PRIMARY KEY, v int)');
  await db.query('INSERT INTO ov VALUES (0, -1)');
  say(`creating ${sz.shapes} overlapping shapes`);
  const t0 = Date.now();
  const shapes = await pool(Array.from({ length: sz.shapes }, (_, k) => k), 16,
    (k) => readToEnd(e.url, { table: 'ov', where: `v > ${k}` }));
  say(`${sz.shapes} shapes in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const lp = await LpClients.open({ port: e.port, n: sz.shapes, workers: sz.workers, impl: sz.impl });
  try {
    await lp.start(shapes.map((s, k) => ({ query: `table=ov&where=${encodeURIComponent(`v > ${k}`)}`,
      offset: s.offset, handle: s.handle, cursor: '' })));
    await waitHeld(prom, sz.shapes, 60_000, lp);
    await sleep(500);
    const big = sz.shapes + 1000;
    // BENCH_PERF_ALL=file: perf record -a -g of the whole machine during b.
    const perf = process.env.BENCH_PERF_ALL ?
      runAsync('perf', ['record', '-a', '-g', '-o', process.env.BENCH_PERF_ALL]) : null;
    if (perf) await sleep(1000);
    const cpu0 = e.cpuByRole();
    const l = await writeAndWait(db, lp, 1,
      `INSERT INTO ov SELECT g, ${big} FROM generate_series(1, 50) g`);
    // CPU by role until every answer arrived (10 ms ticks per process).
    const cpu = diffByRole(cpu0, e.cpuByRole());
    if (perf) { perf.child.kill('SIGINT'); await perf.done; }
    const all = Math.max(...l);
    say(`50-row tx to ${sz.shapes} shapes: all answered in ${all.toFixed(1)} ms ` +
      `(p50 ${percentile(l, 0.5).toFixed(1)}, p99 ${percentile(l, 0.99).toFixed(1)}); ` +
      `CPU ms: ${JSON.stringify(cpu)}`);
    emit({ scenario: 6, name: `50-row tx to ${sz.shapes} overlapping shapes`, metric: 'all answered ms',
      baseline: null, baseline_value: null, value: all, target: '<= 50 ms', pass: all <= 50, size,
      p50: percentile(l, 0.5), p99: percentile(l, 0.99), cpu_ms_by_role: cpu });
  } finally {
    await lp.stop();
  }
}

main(async (args) => {
  const { size } = args;
  const sz = { ...SIZES[size] };	// --clients N etc. override a size
  for (const k of Object.keys(sz)) if (args[k] !== undefined) sz[k] = k === 'impl' ? args[k] : Number(args[k]);
  const pgc = await startPostgres('s6', { max_connections: 200 });
  const promPort = await freePort();
  const e = await startElectricd(pgc.url, {
    ELECTRIC_MAX_EXISTING_REQUESTS: String(4 * Math.max(sz.clients, sz.shapes) + 100),
    ELECTRIC_MAX_INITIAL_REQUESTS: '1000',
    ELECTRIC_LONG_POLL_TIMEOUT: '120000',
    ELECTRIC_PROMETHEUS_PORT: String(promPort),
  });
  const prom = `http://127.0.0.1:${promPort}`;
  const db = await pgc.client();
  // The cluster runs with synchronous_commit off; then the WAL sender waits
  // for the WAL writer (up to wal_writer_delay) and that, not electricd,
  // would be measured.
  await db.query('SET synchronous_commit = on');
  try {
    await fanout(db, e, prom, sz, size);
    await overlap(db, e, prom, sz, size);
  } finally {
    await db.end();
  }
});

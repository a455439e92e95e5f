// run.mjs: runs the benchmark scenarios (bench/s<N>_*.mjs) and prints one
// table of figures and ratios.  `make bench` runs it at full size; make
// check's bench stage runs `node bench/run.mjs --smoke`.
//
//   node bench/run.mjs [--only 1,4] [--runs R] [--size smoke|full] [--smoke]
//   node bench/run.mjs --from a.jsonl,b.jsonl   (tabulate and plot rows
//                                                saved from earlier runs)
//
// --smoke: every scenario once at smoke size; exits non-zero if a script
// fails (a missed target does not fail: smoke sizes are too small for the
// targets).  Otherwise each selected scenario runs R times (default 3 at
// full size, 1 at smoke size) and every metric is aggregated over the runs
// (min/median/max; the PASS column is the verdict of the median run).
// Writes bench/out/results.json (every row of every run, the aggregates,
// the machine and its load) and, for sweeps (rows carrying `plot` and `x`),
// a PNG per plot with gnuplot (bench/out/s<N>_<plot>.png).
//
// A scenario script prints one JSON line per result on stdout (see
// bench/lib.mjs emit()); anything else there is an error.  Its stderr is
// passed through.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const DIR = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.join(DIR, 'out');

function parseArgs(argv) {
  const a = { only: null, runs: null, size: 'full', smoke: false, from: null };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--smoke') a.smoke = true;
    else if (k === '--only') a.only = argv[++i].split(',').map(Number);
    else if (k === '--runs') a.runs = Number(argv[++i]);
    else if (k === '--size') a.size = argv[++i];
    else if (k === '--from') a.from = argv[++i].split(',');
    else throw new Error(`unknown argument ${k}`);
  }
  if (a.smoke) a.size = 'smoke';
  a.runs ??= a.size === 'full' ? 3 : 1;
  return a;
}

/* [{n, file}] of bench/s<N>_*.mjs, by N. */
function scenarios(only) {
  return fs.readdirSync(DIR)
    .map((f) => /^s(\d+)_.*\.mjs$/.exec(f))
    .filter((m) => m && (!only || only.includes(Number(m[1]))))
    .map((m) => ({ n: Number(m[1]), file: m[0] }))
    .sort((x, y) => x.n - y.n);
}

/* Runs one scenario script; resolves { ok, rows, ms, why }. */
function runOne(file, size) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [path.join(DIR, file), '--size', size],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.on('exit', (code, signal) => {
      const rows = [];
      let why = code === 0 ? null : `exit ${code ?? signal}`;
      for (const line of out.split('\n').filter((l) => l.trim() !== '')) {
        try {
          rows.push(JSON.parse(line));
        } catch {
          why ??= `not a JSON line on stdout: ${line.slice(0, 120)}`;
        }
      }
      if (!why && rows.length === 0) why = 'no result rows';
      resolve({ ok: why === null, rows, ms: Date.now() - t0, why });
    });
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? null : s[Math.floor((s.length - 1) / 2)];
};
const agg = (xs) => {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x));
  return v.length === 0 ? null : { min: Math.min(...v), median: median(v), max: Math.max(...v) };
};

/* Rows of all runs -> one aggregate per (scenario, name, metric). */
function aggregate(rows) {
  const groups = new Map();
  for (const r of rows) {
    const k = `${r.scenario}\0${r.name}\0${r.metric}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(r);
  }
  return [...groups.values()].map((g) => {
    // The verdict of the median run: by ratio where the target is one
    // (a run whose baseline was slow must not pass a ratio target alone).
    const key = (r) => (typeof r.ratio === 'number' ? r.ratio : r.value ?? 0);
    const byValue = [...g].sort((a, b) => key(a) - key(b));
    const mid = byValue[Math.floor((byValue.length - 1) / 2)];
    return {
      scenario: g[0].scenario, name: g[0].name, metric: g[0].metric,
      baseline: g[0].baseline ?? null, target: g[0].target ?? null,
      plot: g[0].plot, x: g[0].x, size: g[0].size, runs: g.length,
      value: agg(g.map((r) => r.value)),
      baseline_value: agg(g.map((r) => r.baseline_value)),
      ratio: agg(g.map((r) => r.ratio)),
      pass: mid.pass ?? null,
    };
  });
}

function fmt(x) {
  if (x === null || x === undefined) return '-';
  if (typeof x !== 'number') return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return x.toExponential(2);
  return a >= 100 ? x.toFixed(0) : a >= 1 ? x.toFixed(2) : x.toFixed(3);
}
const fmtAgg = (s) => (s === null ? '-' : s.min === s.max ? fmt(s.median)
  : `${fmt(s.median)} [${fmt(s.min)}..${fmt(s.max)}]`);

/* smoke: targets are not judged (the sizes are too small for them). */
function table(aggs, smoke) {
  const head = ['S', 'name', 'metric', 'baseline', 'baseline value', 'electricd', 'ratio', 'target', 'result'];
  const body = aggs.map((a) => [String(a.scenario), a.name, a.metric, a.baseline ?? '-',
    fmtAgg(a.baseline_value), fmtAgg(a.value), fmtAgg(a.ratio), a.target ?? '-',
    smoke ? '-' : a.pass === true ? 'PASS' : a.pass === false ? 'FAIL' : '-']);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => c.padEnd(w[i])).join('  ').trimEnd();
  return [line(head), line(w.map((n) => '-'.repeat(n))), ...body.map(line)].join('\n');
}

function machine() {
  const cpu = os.cpus();
  const git = spawnSync('git', ['-C', DIR, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  return {
    date: new Date().toISOString(), host: os.hostname(), cpu: cpu[0]?.model, cores: cpu.length,
    mem_gb: Math.round(os.totalmem() / 2 ** 30), kernel: os.release(), node: process.version,
    git: git.stdout?.trim() || null, loadavg: os.loadavg(),
  };
}

/* One PNG per (scenario, plot): value (median, min..max bars) against x,
 * and the baseline's median when the rows have one. */
function plots(aggs) {
  const have = spawnSync('gnuplot', ['--version']).error === undefined;
  const groups = new Map();
  for (const a of aggs) {
    if (a.plot === undefined || a.x === undefined || a.value === null) continue;
    const k = `s${a.scenario}_${a.plot}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(a);
  }
  const written = [];
  for (const [k, g] of groups) {
    if (!have) { console.error(`run.mjs: gnuplot not installed, no ${k}.png`); continue; }
    g.sort((p, q) => p.x - q.x);
    const dat = path.join(OUT, `${k}.dat`);
    fs.writeFileSync(dat, g.map((a) => [a.x, a.value.median, a.value.min, a.value.max,
      a.baseline_value?.median ?? 'NaN'].join(' ')).join('\n') + '\n');
    const png = path.join(OUT, `${k}.png`);
    const logx = g.length > 2 && g[g.length - 1].x / Math.max(g[0].x, 1e-9) >= 100;
    const script = [
      'set terminal png size 800,500 noenhanced', `set output '${png}'`,
      `set title "scenario ${g[0].scenario}: ${g[0].plot} (${g[0].size})"`,
      `set xlabel "${g[0].plot}"`, `set ylabel "${g[0].metric}"`, 'set key left bottom', 'set grid',
      logx ? 'set logscale x' : '', 'set yrange [0:*]',
      `plot '${dat}' using 1:2:3:4 with yerrorlines title 'electricd', ` +
        `'' using 1:5 with linespoints title '${g[0].baseline ?? 'baseline'}'`,
    ].join('\n');
    const r = spawnSync('gnuplot', [], { input: script, encoding: 'utf8' });
    if (r.status !== 0) console.error(`run.mjs: gnuplot ${k}: ${r.stderr}`);
    else written.push(png);
  }
  return written;
}

async function mainRun() {
  const a = parseArgs(process.argv.slice(2));
  const list = a.from ? [] : scenarios(a.only);
  if (list.length === 0 && !a.from) throw new Error('no scenario selected');
  fs.mkdirSync(OUT, { recursive: true });
  const ign = path.join(OUT, '.gitignore');	// generated files only
  if (!fs.existsSync(ign)) fs.writeFileSync(ign, '*\n');
  const before = machine();
  const rows = [];
  const failures = [];
  for (const f of a.from || []) {
    for (const line of fs.readFileSync(f, 'utf8').split('\n').filter((l) => l.trim())) {
      const row = JSON.parse(line);
      if (!a.only || a.only.includes(row.scenario)) rows.push(row);
    }
  }
  for (const s of list) {
    for (let i = 0; i < a.runs; i++) {
      console.error(`run.mjs: ${s.file} --size ${a.size} (run ${i + 1}/${a.runs})`);
      const r = await runOne(s.file, a.size);
      console.error(`run.mjs: ${s.file}: ${r.ok ? 'ok' : `FAILED (${r.why})`} in ${(r.ms / 1000).toFixed(1)} s`);
      for (const row of r.rows) rows.push({ ...row, run: i + 1 });
      if (!r.ok) failures.push(`${s.file}: ${r.why}`);
    }
  }
  const aggs = aggregate(rows);
  const pngs = a.smoke ? [] : plots(aggs);
  const res = { machine: before, loadavg_after: os.loadavg(), size: a.size, runs: a.runs,
    failures, aggregates: aggs, rows };
  fs.writeFileSync(path.join(OUT, a.smoke ? 'results-smoke.json' : 'results.json'),
    `${JSON.stringify(res, null, 1)}\n`);
  const what = a.from ? `rows of ${a.from.join(', ')}` : `${a.size}, ${a.runs} run${a.runs > 1 ? 's' : ''} each`;
  console.log(`\nbenchmarks (${what}; ` +
    `median [min..max]; ${before.cores} cores, load ${before.loadavg.map((x) => x.toFixed(2)).join(' ')})`);
  console.log(table(aggs, a.smoke));
  if (a.smoke) console.log('(smoke sizes: targets not judged)');
  for (const p of pngs) console.log(`plot: ${path.relative(process.cwd(), p)}`);
  if (failures.length > 0) {
    console.log(`\nFAILED scripts:\n  ${failures.join('\n  ')}`);
    process.exit(1);
  }
}

mainRun().catch((e) => { console.error(e?.stack || e); process.exit(2); });

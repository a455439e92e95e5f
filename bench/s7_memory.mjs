// s7_memory: issue 7 scenario 7, memory (run by bench/run.mjs;
// `node bench/s7_memory.mjs --size smoke|full`).  Three figures, from
// /proc/<pid>/smaps_rollup (PSS: shared pages divided among the processes
// that map them, so the binary's text is shared by every consumer):
//
//  a) PSS per active consumer: N shapes (full: 100) of `g = k` with 100
//     rows each, all of them having just applied a transaction; median
//     PSS of the consumer processes (target <= 1 MB; max as extra field).
//  b) per idle long-poll connection: M live requests (full: 10,000) held
//     on those shapes; (http's PSS with them - without) / M (target
//     <= 10 KB; RSS delta as extra field).  Kernel socket buffers are not
//     in a process's PSS and are not counted.
//  c) the rest of electricd: PSS of root, connmgr, replication, collector,
//     shapecache and http with the N shapes and no client (target
//     <= 20 MB; the same right after start, no shape, as extra field).
// There is no baseline: the targets are absolute.
import fs from 'node:fs';
import path from 'node:path';

import { LpClients, waitHeld } from './lpclients.mjs';
import {
  emit, freePort, main, memOf, percentile, pidTree, pool, procRole, readToEnd, say, sleep,
  startElectricd, startPostgres,
} from './lib.mjs';

const SIZES = {
  smoke: { shapes: 5, conns: 200, workers: 1 },
  full: { shapes: 100, conns: 10_000, workers: 2 },
};

/* PSS/RSS (KiB) of every process of e by role: { role: [{pid, pss, rss}] }. */
function byRole(e) {
  const out = {};
  for (const pid of pidTree(e.pid)) {
    const role = procRole(pid);
    if (role) (out[role] ||= []).push({ pid, ...memOf(pid) });
  }
  return out;
}

/* The largest mappings of pid by PSS (KiB), for the report. */
function topMappings(pid, n = 6) {
  const out = new Map();
  let name = '';
  for (const line of fs.readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const m = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (m) { name = m[1] || '[anon]'; continue; }
    const p = /^Pss:\s+(\d+)/.exec(line);
    if (p) out.set(name, (out.get(name) || 0) + Number(p[1]));
  }
  return [...out].sort((a, b) => b[1] - a[1]).slice(0, n)
    .map(([k, v]) => `${path.basename(k)} ${v}`).join(', ');
}

function restPss(roles) {
  let kb = 0;
  for (const [role, ps] of Object.entries(roles)) {
    if (role !== 'consumer') kb += ps.reduce((a, p) => a + p.pss, 0);
  }
  return kb;
}

main(async (args) => {
  const { size } = args;
  const sz = { ...SIZES[size] };
  for (const k of Object.keys(sz)) if (args[k] !== undefined) sz[k] = Number(args[k]);
  const pgc = await startPostgres('s7', { max_connections: 200 });
  const promPort = await freePort();
  const e = await startElectricd(pgc.url, {
    ELECTRIC_MAX_EXISTING_REQUESTS: String(2 * sz.conns + 100),
    ELECTRIC_LONG_POLL_TIMEOUT: '600000',
    ELECTRIC_PROMETHEUS_PORT: String(promPort),
  });
  const prom = `http://127.0.0.1:${promPort}`;
  await sleep(1000);
  const restIdle = restPss(byRole(e));

  await pgc.sql('CREATE TABLE m (id int PRIMARY KEY, g int, v text)');
  await pgc.sql(`INSERT INTO m SELECT i, i % ${sz.shapes}, repeat('x', 80) ` +
    `FROM generate_series(0, ${100 * sz.shapes - 1}) i`);
  say(`creating ${sz.shapes} shapes`);
  const shapes = await pool(Array.from({ length: sz.shapes }, (_, k) => k), 8,
    (k) => readToEnd(e.url, { table: 'm', where: `g = ${k}` }));
  // Every consumer applies a transaction (an update of each of its rows).
  await pgc.sql("UPDATE m SET v = repeat('y', 80)");
  await sleep(2000);
  const roles = byRole(e);
  const cons = (roles.consumer || []).map((p) => p.pss);
  if (cons.length < sz.shapes) throw new Error(`${cons.length} consumers for ${sz.shapes} shapes`);
  const med = percentile(cons, 0.5);
  say(`one consumer's largest mappings (PSS KiB): ${topMappings(roles.consumer[0].pid)}`);
  say(`consumer PSS KiB: median ${med}, max ${Math.max(...cons)}; RSS median ` +
    `${percentile(roles.consumer.map((p) => p.rss), 0.5)}`);
  emit({ scenario: 7, name: `PSS per active consumer (${sz.shapes} shapes)`, metric: 'KiB',
    baseline: null, baseline_value: null, value: med, target: '<= 1024 KiB', pass: med <= 1024,
    size, max: Math.max(...cons), rss_median: percentile(roles.consumer.map((p) => p.rss), 0.5) });
  const rest = restPss(roles);
  const parts = Object.fromEntries(Object.entries(roles).filter(([r]) => r !== 'consumer')
    .map(([r, ps]) => [r, ps.reduce((a, p) => a + p.pss, 0)]));
  say(`rest of electricd PSS KiB: ${rest} ${JSON.stringify(parts)}; right after start ${restIdle}`);
  emit({ scenario: 7, name: `PSS of the rest of electricd (${sz.shapes} shapes)`, metric: 'KiB',
    baseline: null, baseline_value: null, value: rest, target: '<= 20480 KiB', pass: rest <= 20480,
    size, at_start: restIdle, by_role: parts });

  const httpPid = roles.http[0].pid;
  const before = memOf(httpPid);
  const lp = await LpClients.open({ port: e.port, n: sz.conns, workers: sz.workers });
  try {
    await lp.start(Array.from({ length: sz.conns }, (_, i) => {
      const k = i % sz.shapes;
      return { query: `table=m&where=${encodeURIComponent(`g = ${k}`)}`,
        offset: shapes[k].offset, handle: shapes[k].handle, cursor: '' };
    }));
    await waitHeld(prom, sz.conns, 60_000, lp);
    await sleep(1000);
    const after = memOf(httpPid);
    const per = (after.pss - before.pss) / sz.conns;
    say(`http PSS ${before.pss} -> ${after.pss} KiB, RSS ${before.rss} -> ${after.rss} KiB ` +
      `for ${sz.conns} idle long-polls`);
    emit({ scenario: 7, name: `per idle long-poll connection (${sz.conns})`, metric: 'KiB',
      baseline: null, baseline_value: null, value: per, target: '<= 10 KiB', pass: per <= 10,
      size, rss_per: (after.rss - before.rss) / sz.conns });
  } finally {
    await lp.stop();
  }
});

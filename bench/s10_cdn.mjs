// s10_cdn: issue 7 scenario 10, scale-out behind a CDN (run by
// bench/run.mjs; `node bench/s10_cdn.mjs --size smoke|full`).
//
// The shipped contrib/nginx/electric.conf, unchanged but for its three
// site-specific lines (cache directory, electricd's address, listen port;
// plus the access log path), runs in front of electricd.  N live clients
// (full: 10,000) follow one shape through nginx; `changes` single-row
// transactions commit one after another, each once every client has the
// previous one.  The figure is the number of requests that reached
// electricd per change (electricd's own electricd_http_requests_total;
// nginx's access log, lines with an upstream, cross-checks it).  Baseline:
// without the CDN every client is an origin request per change (N).
// Target: one origin request per change.  A client that reaches a cached
// live answer more than its max-age (5 s) after it was cached makes nginx
// revalidate it (If-None-Match; electricd answers 304 at once): on a
// loaded machine, where nginx takes seconds to answer 10,000 clients, that
// adds requests, shown by cache status (MISS, REVALIDATED/EXPIRED) in
// origin_by_cache_status.  Commit -> client latency
// through nginx rides along (proxy_cache_lock waiters poll the cache
// every 500 ms, so that latency is nginx's, not electricd's).
import fs from 'node:fs';
import path from 'node:path';

import { LpClients, scrapeMetrics } from './lpclients.mjs';
import { haveNginx, startNginx } from './nginx.mjs';
import {
  emit, freePort, main, percentile, readToEnd, ROOT, say, sleep, startElectricd, startPostgres,
} from './lib.mjs';

const SIZES = {
  smoke: { clients: 200, changes: 2, workers: 1 },
  full: { clients: 10_000, changes: 5, workers: 2 },
};

/* contrib/nginx/electric.conf for this run: each site-specific line must
 * be there exactly once (so the bench notices if the file changes). */
function siteConf(originPort, port) {
  let conf = fs.readFileSync(path.join(ROOT, 'contrib/nginx/electric.conf'), 'utf8');
  const subs = [
    [/proxy_cache_path \/var\/cache\/nginx\/electric /, 'proxy_cache_path @PREFIX@/cache '],
    [/server 127\.0\.0\.1:3000;/, `server 127.0.0.1:${originPort};`],
    [/listen 8080;/, `listen 127.0.0.1:${port} backlog=16384;`],
    [/access_log \/var\/log\/nginx\/electric\.access\.log /, 'access_log @PREFIX@/access.log '],
  ];
  for (const [re, to] of subs) {
    if (conf.split(re).length !== 2) throw new Error(`contrib/nginx/electric.conf: ${re} not found once`);
    conf = conf.replace(re, to);
  }
  return conf;
}

const originCount = async (prom) => Object.entries(await scrapeMetrics(prom))
  .filter(([k]) => k.startsWith('electricd_http_requests_total'))
  .reduce((a, [, v]) => a + v, 0);

/* Shape requests nginx sent to electricd so far, by cache status (MISS:
 * a new entry; EXPIRED/REVALIDATED: an entry older than its max-age,
 * revalidated with If-None-Match). */
function logOrigins(prefix) {
  const lines = fs.readFileSync(path.join(prefix, 'access.log'), 'utf8').split('\n');
  const by = { total: 0 };
  for (const l of lines) {
    const m = / cache=(\S+) origin=(\S+) /.exec(l);
    if (!l.includes('/v1/shape') || !m || m[2] === '-') continue;
    by.total++;
    by[m[1]] = (by[m[1]] || 0) + 1;
  }
  return by;
}

main(async (args) => {
  const { size } = args;
  const sz = { ...SIZES[size] };
  for (const k of Object.keys(sz)) if (args[k] !== undefined) sz[k] = Number(args[k]);
  if (!haveNginx()) throw new Error('nginx is not installed (scripts/deps.sh)');
  const pgc = await startPostgres('s10');
  const promPort = await freePort();
  const e = await startElectricd(pgc.url, { ELECTRIC_PROMETHEUS_PORT: String(promPort) });
  const prom = `http://127.0.0.1:${promPort}`;
  const port = await freePort();
  const n = await startNginx('s10', siteConf(e.port, port), port);
  const cdn = `http://127.0.0.1:${port}`;

  await pgc.sql('CREATE TABLE cdn (id int PRIMARY KEY, v text)');
  await pgc.sql("INSERT INTO cdn VALUES (0, 'first')");
  const db = await pgc.client();
  await db.query('SET synchronous_commit = on');
  const r = await readToEnd(cdn, { table: 'cdn' });
  const lp = await LpClients.open({ port, n: sz.clients, workers: sz.workers });
  try {
    await lp.start(Array.from({ length: sz.clients },
      () => ({ query: 'table=cdn', offset: r.offset, handle: r.handle, cursor: '' })));
    await sleep(size === 'full' ? 3000 : 1000);	// every request reaches nginx
    const o0 = await originCount(prom), l0 = logOrigins(n.prefix);
    const lat = [];
    for (let k = 1; k <= sz.changes; k++) {
      const t0 = process.hrtime.bigint();
      await db.query(`INSERT INTO cdn VALUES (${k}, 'change ${k}')`);
      const times = await lp.waitData(k, 60_000);
      const missing = times.filter((x) => x === null).length;
      if (missing > 0) throw new Error(`${missing} clients missed change ${k}: ${JSON.stringify(await lp.status())}`);
      const l = times.map((x) => Number(x.t - t0) / 1e6);
      say(`change ${k}: all ${sz.clients} clients have it; p50 ${percentile(l, 0.5).toFixed(0)} ms, ` +
        `max ${Math.max(...l).toFixed(0)} ms`);
      lat.push(...l);
    }
    await sleep(1000);
    const origin = (await originCount(prom)) - o0;
    const l1 = logOrigins(n.prefix);
    const logged = l1.total - l0.total;
    const byStatus = Object.fromEntries(Object.entries(l1).filter(([k]) => k !== 'total')
      .map(([k, v]) => [k, v - (l0[k] || 0)]).filter(([, v]) => v > 0));
    const st = await lp.status();
    const per = origin / sz.changes;
    say(`${origin} origin requests answered for ${sz.changes} changes (nginx log: ${logged} ` +
      `with an upstream: ${JSON.stringify(byStatus)}), ${st.answers} answers to clients, ` +
      `${st.errors} errors`);
    emit({ scenario: 10, name: `${sz.clients} live clients behind nginx`, metric: 'origin req/change',
      baseline: 'no CDN (one per client)', baseline_value: sz.clients, value: per,
      target: '<= 1 origin request per change', pass: per <= 1, size,
      nginx_logged_per_change: logged / sz.changes, origin_by_cache_status: byStatus, client_p50_ms: percentile(lat, 0.5),
      client_p99_ms: percentile(lat, 0.99), client_errors: st.errors });
  } finally {
    await lp.stop();
    await db.end();
  }
});

// suspend_scale: registers N shapes "items WHERE id = k" over HTTP against
// a running electricd with suspension on, waits until they are suspended,
// and prints the process count and memory of the electricd tree, then
// wakes a few with an UPDATE and times it.  Not part of make check.
//   node bench/suspend_scale.mjs URL DATABASE_URL ROOT_PID [N] [concurrency]
// Uses the pg package installed for the e2e tests (tests/e2e/node_modules).
import fs from 'node:fs';
import { createRequire } from 'node:module';
const require = createRequire(new URL('../tests/e2e/', import.meta.url));
const pg = require('pg');

const [url, dbUrl, rootArg, nArg, cArg] = process.argv.slice(2);
const root = Number(rootArg), N = Number(nArg ?? 1000), C = Number(cArg ?? 8);
const db = new pg.Client({ connectionString: dbUrl });
await db.connect();
await db.query('CREATE TABLE IF NOT EXISTS items (id int PRIMARY KEY, title text, done bool)');
await db.query(`INSERT INTO items SELECT g, 'v' || g, false FROM generate_series(1, ${N}) g
  ON CONFLICT DO NOTHING`);

function tree() {
  const all = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  const kids = new Map();
  for (const p of all) {
    try {
      const st = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      const ppid = Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]);
      if (!kids.has(ppid)) kids.set(ppid, []);
      kids.get(ppid).push(Number(p));
    } catch { /* gone */ }
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) out.push(...(kids.get(out[i]) || []));
  return out;
}
function mem(pids) {
  let rss = 0, pss = 0, consumers = 0;
  for (const p of pids) {
    try {
      const r = fs.readFileSync(`/proc/${p}/smaps_rollup`, 'utf8');
      rss += Number(/^Rss:\s+(\d+)/m.exec(r)[1]);
      pss += Number(/^Pss:\s+(\d+)/m.exec(r)[1]);
      if (fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('consumer')) consumers++;
    } catch { /* gone */ }
  }
  return { processes: pids.length, consumers, rss_mb: Math.round(rss / 1024), pss_mb: Math.round(pss / 1024) };
}
async function get(params) {
  for (;;) {
    const r = await fetch(`${url}/v1/shape?${new URLSearchParams(params)}`);
    await r.arrayBuffer();
    if (r.status === 200) return { handle: r.headers.get('electric-handle'), offset: r.headers.get('electric-offset') };
    await new Promise((res) => setTimeout(res, 200));
  }
}

const t0 = performance.now();
let next = 1, peak = { processes: 0 };
const handles = new Array(N + 1);
await Promise.all(Array.from({ length: C }, async () => {
  while (next <= N) {
    const k = next++;
    handles[k] = await get({ table: 'items', where: `id = ${k}`, offset: '-1' });
    if (k % 500 === 0) {
      const m = mem(tree());
      if (m.processes > peak.processes) peak = m;
      console.log(`${k} shapes, ${((performance.now() - t0) / 1000).toFixed(1)} s`, JSON.stringify(m));
    }
  }
}));
console.log(`registered ${N} shapes in ${((performance.now() - t0) / 1000).toFixed(1)} s; peak`, JSON.stringify(peak));
for (let i = 0; i < 600; i++) {
  const m = mem(tree());
  if (m.consumers === 0) break;
  await new Promise((res) => setTimeout(res, 1000));
}
console.log('all suspended:', JSON.stringify(mem(tree())));
// Wake 5 shapes with an UPDATE each and time the change's arrival.
for (const k of [1, Math.ceil(N / 3), Math.ceil(N / 2), N - 1, N]) {
  const h = handles[k];
  const t = performance.now();
  await db.query('UPDATE items SET title = title || \'+\' WHERE id = $1', [k]);
  const r = await fetch(`${url}/v1/shape?${new URLSearchParams({ table: 'items', where: `id = ${k}`,
    handle: h.handle, offset: h.offset, live: 'true' })}`);
  const body = await r.json();
  console.log(`wake id=${k}: change after ${(performance.now() - t).toFixed(0)} ms (${body.length - 1} messages)`);
}
console.log('after wakes:', JSON.stringify(mem(tree())));
await db.end();

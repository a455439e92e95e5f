// live_latency: commit -> long-poll response latency, and the time a large
// transaction takes to reach a waiting client.  Not part of make check.
//   node bench/live_latency.mjs URL DATABASE_URL [samples] [bulk_rows]
// URL is a running electricd (e.g. http://localhost:3000).  Uses the pg
// package installed for the e2e tests (tests/e2e/node_modules).
import { createRequire } from 'node:module';
const require = createRequire(new URL('../tests/e2e/', import.meta.url));
const pg = require('pg');

const [url, dbUrl, nArg, bulkArg] = process.argv.slice(2);
const samples = Number(nArg ?? 50), bulk = Number(bulkArg ?? 100000);
const db = new pg.Client({ connectionString: dbUrl });
await db.connect();
// synchronous commit: otherwise logical decoding waits for the WAL writer
// (up to wal_writer_delay) and that delay, not electricd's, is measured.
await db.query('SET synchronous_commit = on');
const table = `bench_lat_${process.pid}`;
await db.query(`CREATE TABLE ${table} (id int PRIMARY KEY, v text)`);

async function get(params) {
  const r = await fetch(`${url}/v1/shape?${new URLSearchParams(params)}`);
  await r.arrayBuffer();
  return { handle: r.headers.get('electric-handle'), offset: r.headers.get('electric-offset'),
           hasData: r.headers.get('electric-has-data'), at: performance.now() };
}
const pct = (xs, p) => xs.sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

let { handle, offset } = await get({ table: table, offset: '-1' });
({ offset } = await get({ table: table, offset, handle }));
// Latency = response arrival - the moment the INSERT was sent (its commit
// round trip included: the response may beat the commit's acknowledgement).
const lat = [];
let timeouts = 0, nextId = 0;
for (let i = 0; i < samples; i++) {
  const live = get({ table: table, offset, handle, live: 'true' });
  await new Promise((r) => setTimeout(r, 20));
  const t0 = performance.now();
  await db.query(`INSERT INTO ${table} VALUES ($1, $2)`, [nextId++, 'x'.repeat(80)]);
  const res = await live;
  if (res.hasData !== 'true') { timeouts++; i--; continue; }
  offset = res.offset;
  lat.push(res.at - t0);
}
const live = get({ table: table, offset, handle, live: 'true' });
await new Promise((r) => setTimeout(r, 20));
const t0 = performance.now();
await db.query(`INSERT INTO ${table} SELECT g, repeat('y', 80) FROM generate_series(1000000, 1000000 + $1 - 1) g`, [bulk]);
const bulkMs = (await live).at - t0;
console.log(`live requests that timed out without data: ${timeouts}`);
console.log(`insert sent -> live response, ${samples} single-row commits: p50 ${pct(lat, 0.5).toFixed(2)} ms, p99 ${pct(lat, 0.99).toFixed(2)} ms, max ${Math.max(...lat).toFixed(2)} ms`);
console.log(`one ${bulk}-row transaction: commit -> first live response ${bulkMs.toFixed(0)} ms (${(bulk / bulkMs * 1000).toFixed(0)} rows/s through decode, routing, encoding and fsync)`);
await db.query(`DROP TABLE ${table}`);
await db.end();

// client_modes: the real @electric-sql/client in the modes client_e2e
// does not cover (PROTOCOL.md §17 item 40): long-poll surviving a
// server-forced 409 (TRUNCATE); `liveSse: true` (reaches Postgres's state
// over SSE, follows changes live, survives a TRUNCATE); and
// `log: 'changes_only'` + Shape.requestSnapshot (GET and POST subsets)
// reaching exactly the requested rows plus later changes, and surviving a
// TRUNCATE.  One electricd, one table per mode.  Every request the client
// makes is recorded through its fetchClient option, so each mode proves
// it really used SSE / subsets / a 409; client warnings about protocol
// problems fail the test.

import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import {
  cleanup, createDatabase, dumpLogs, onCleanup, scenario, startElectricd, waitFor,
  importClient,
} from './lib.mjs';

// The client, with its long-lived timers unref'd (see lib.mjs).
const { Shape, ShapeStream } = await importClient();

const warnings = [];
const origWarn = console.warn;
console.warn = (...args) => {
  warnings.push(args.map(String).join(' '));
  origWarn(...args);
};
// §17 item 40 names the first two; the others mean SSE or a subset did
// not work.  (A 409 without electric-handle after an invalidation is
// allowed by §4.3 and only makes the client warn: printed, not failed.)
const BAD_WARNING = /stale|missing headers|falling back to long polling|not accepted/i;

let db;
let E;

before(async () => {
  db = await createDatabase('modes');
  for (const t of ['lp', 'sse', 'co']) {
    await db.sql(`CREATE TABLE ${t} (id int PRIMARY KEY, title text, done bool)`);
    await db.sql(`INSERT INTO ${t} VALUES (1, 'one', false), (2, 'two', true), (3, 'three', null)`);
  }
  E = await startElectricd({ databaseUrl: db.url, env: { ELECTRIC_LONG_POLL_TIMEOUT: '3000' } })
    .catch((err) => { dumpLogs('start-up failed'); throw err; });
});
after(cleanup);

const canon = (rows) => JSON.stringify(
  rows.map((r) => ({ id: r.id, title: r.title, done: r.done })).sort((a, b) => a.id - b.id));

function startClient(table, opts = {}) {
  const ctrl = new AbortController();
  const errors = [];
  const requests = [];		// { method, url (URL), status, type }
  const fetchClient = async (input, init) => {
    const res = await fetch(input, init);
    requests.push({
      method: init?.method ?? 'GET',
      url: new URL(String(input)),
      status: res.status,
      type: res.headers.get('content-type') ?? '',
    });
    return res;
  };
  const stream = new ShapeStream({
    url: `${E.url}/v1/shape`,
    params: { table },
    signal: ctrl.signal,
    fetchClient,
    onError: (err) => { errors.push(String(err?.stack || err)); },
    ...opts,
  });
  const shape = new Shape(stream);
  const c = {
    shape,
    stream,
    errors,
    requests,
    stop: () => {
      shape.unsubscribeAll();
      stream.unsubscribeAll();
      ctrl.abort();
    },
  };
  onCleanup(c.stop);
  return c;
}

async function rowsWithin(c, ms = 15_000) {
  let timer;
  return Promise.race([
    c.shape.rows,
    new Promise((_, rej) => {
      timer = setTimeout(() => rej(new Error(`shape.rows did not resolve in ${ms} ms; ` +
        `errors ${JSON.stringify(c.errors)}; requests ${c.requests.map(describe).join(' | ')}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

const describe = (r) => `${r.method} ${r.url.search} -> ${r.status} ${r.type}`;

/* Waits until the client's rows equal want() (rows as pg returns them). */
async function converges(what, c, want, ms = 15_000) {
  let w;
  await waitFor(what, async () => {
    w = canon(await want());
    return canon(c.shape.currentRows) === w;
  }, ms, 100).catch((err) => {
    err.message += `\n  client: ${canon(c.shape.currentRows)}\n  want:   ${w}` +
      `\n  client errors: ${JSON.stringify(c.errors)}` +
      `\n  last requests: ${c.requests.slice(-6).map(describe).join('\n    ')}`;
    throw err;
  });
}

const table = (t) => () => db.sql(`SELECT id, title, done FROM ${t}`);

function assertClean(c) {
  for (const w of warnings.filter((x) => !BAD_WARNING.test(x))) console.log(`# client warning: ${w}`);
  assert.deepEqual(c.errors, [], 'no errors reached onError');
  const bad = warnings.filter((w) => BAD_WARNING.test(w));
  warnings.length = 0;
  assert.deepEqual(bad, [], 'no protocol warnings from the client');
}

/* Changes rows while live, then TRUNCATEs and writes again: the client
 * must follow every step (through a 409 and a refetch). */
async function liveAndTruncate(c, t, want) {
  await db.sql(`INSERT INTO ${t} VALUES (4, 'four', false)`);
  await converges(`${t}: the insert`, c, want);
  await db.sql(`UPDATE ${t} SET title = 'ONE', done = true WHERE id = 1`);
  await converges(`${t}: the update`, c, want);
  await db.sql(`DELETE FROM ${t} WHERE id = 3`);
  await converges(`${t}: the delete`, c, want);
  const handle = c.shape.handle;
  await db.sql(`TRUNCATE ${t}`);
  await db.sql(`INSERT INTO ${t} VALUES (10, 'ten', true), (11, 'eleven', null)`);
  await converges(`${t}: the state after TRUNCATE and two inserts`, c, want, 20_000);
  assert.ok(c.requests.some((r) => r.status === 409), `a 409 was served: ${c.requests.map(describe).join(' | ')}`);
  assert.notEqual(c.shape.handle, handle, 'a new handle after the TRUNCATE');
  await db.sql(`UPDATE ${t} SET done = false WHERE id = 10`);
  await converges(`${t}: live again on the new handle`, c, want);
}

scenario('40: long-poll client survives a TRUNCATE (409) by refetching', async () => {
  const c = startClient('lp');
  assert.equal(canon(await rowsWithin(c)), canon(await table('lp')()));
  await liveAndTruncate(c, 'lp', table('lp'));
  assert.ok(c.requests.some((r) => r.url.searchParams.get('live') === 'true'), 'long-polls were made');
  assert.ok(!c.requests.some((r) => r.url.searchParams.has('live_sse')), 'no SSE in long-poll mode');
  assertClean(c);
  c.stop();
});

scenario('40: liveSse: true reaches Postgres\'s state, follows changes, survives a TRUNCATE', async () => {
  const c = startClient('sse', { liveSse: true });
  assert.equal(canon(await rowsWithin(c)), canon(await table('sse')()));
  await liveAndTruncate(c, 'sse', table('sse'));
  const sse = c.requests.filter((r) => r.url.searchParams.get('live_sse') === 'true');
  assert.ok(sse.length > 0, `SSE requests were made: ${c.requests.map(describe).join(' | ')}`);
  assert.ok(sse.some((r) => r.status === 200 && r.type.startsWith('text/event-stream')),
    `an SSE request was answered with an event stream: ${sse.map(describe).join(' | ')}`);
  assertClean(c);
  c.stop();
});

scenario('40: log changes_only + requestSnapshot reaches the requested rows', async () => {
  const c = startClient('co', { log: 'changes_only' });
  const initial = await rowsWithin(c);
  assert.deepEqual(initial, [], 'changes_only starts empty');
  assert.equal(c.shape.mode, 'changes_only');

  // GET subset: row 1 only.
  await c.shape.requestSnapshot({ where: 'id = $1', params: { 1: '1' } });
  await converges('row 1 from the GET subset', c, () => db.sql('SELECT id, title, done FROM co WHERE id = 1'));
  // POST subset: row 2 joins.
  await c.shape.requestSnapshot({ where: 'id = $1', params: { 1: '2' }, method: 'POST' });
  const loaded = [1, 2];
  const want = () => db.sql(`SELECT id, title, done FROM co WHERE id = ANY($1)`, [loaded]);
  await converges('rows 1 and 2 after the POST subset', c, want);
  // limit + order_by.
  await c.shape.requestSnapshot({ orderBy: 'id DESC', limit: 1 });
  loaded.push(3);
  await converges('row 3 from order_by id DESC limit 1', c, want);

  const subsets = c.requests.filter((r) => [...r.url.searchParams.keys()].some((k) => k.startsWith('subset__')) ||
    r.method === 'POST');
  assert.ok(subsets.length >= 3, `subset requests: ${c.requests.map(describe).join(' | ')}`);
  assert.ok(subsets.every((r) => r.status === 200), `subset answers: ${subsets.map(describe).join(' | ')}`);
  assert.ok(subsets.some((r) => r.method === 'POST'), 'a POST subset was made');

  // Changes after the shape was created arrive; rows never requested stay out.
  await db.sql("INSERT INTO co VALUES (4, 'four', false)");
  loaded.push(4);
  await converges('the insert', c, want);
  await db.sql("UPDATE co SET title = 'ONE' WHERE id = 1");
  await converges('the update of a loaded row', c, want);
  await db.sql('DELETE FROM co WHERE id = 2');
  await converges('the delete of a loaded row', c, want);

  // TRUNCATE: 409, refetch; the Shape re-requests its subsets; new rows arrive.
  const handle = c.shape.handle;
  await db.sql('TRUNCATE co');
  await db.sql("INSERT INTO co VALUES (10, 'ten', true)");
  loaded.push(10);
  await converges('the state after TRUNCATE and an insert', c, want, 20_000);
  assert.ok(c.requests.some((r) => r.status === 409), `a 409 was served: ${c.requests.map(describe).join(' | ')}`);
  assert.notEqual(c.shape.handle, handle, 'a new handle after the TRUNCATE');
  await db.sql("INSERT INTO co VALUES (1, 'one again', null)");
  await converges('live again on the new handle', c, want);
  assertClean(c);
  c.stop();
});

// client_e2e: the real @electric-sql/client (ShapeStream + Shape) against
// electricd.  The client reaches Postgres's rows, follows an insert, an
// update and a delete live; then the electricd root is SIGKILLed while the
// client is live, rows change while it is down, electricd restarts on the
// same storage and port, and the client (which retries network errors)
// converges to Postgres's state; so does a client started afterwards.
// Rows are compared as sorted JSON with the client's parsed values
// (int4 -> number, bool -> boolean), which is what pg returns too.

import assert from 'node:assert/strict';
import { after } from 'node:test';
import {
  cleanup, createDatabase, createItems, onCleanup, scenario, startElectricd, waitFor,
  startShapeClient,
} from './lib.mjs';

after(cleanup);

// The client, with its long-lived timers unref'd (see lib.mjs).

// The client warns on protocol problems (stale cached responses, missing
// headers): record them, the test fails on any.
const warnings = [];
const origWarn = console.warn;
console.warn = (...args) => {
  warnings.push(args.map(String).join(' '));
  origWarn(...args);
};

const canon = (rows) => JSON.stringify(
  rows.map((r) => ({ id: r.id, title: r.title, done: r.done })).sort((a, b) => a.id - b.id));

async function converges(what, c, db, ms = 15_000) {
  let want;
  await waitFor(what, async () => {
    want = canon(await db.sql('SELECT id, title, done FROM items'));
    return canon(c.shape.currentRows) === want;
  }, ms, 100).catch((err) => {
    err.message += `\n  client:   ${canon(c.shape.currentRows)}\n  postgres: ${want}` +
      `\n  client errors: ${JSON.stringify(c.errors)}`;
    throw err;
  });
}

scenario('ShapeStream + Shape: live changes and a SIGKILL of electricd', { timeout: 180_000 }, async () => {
  const db = await createDatabase('client');
  await createItems(db, [[1, 'one', false], [2, 'two', true], [3, 'three', null]]);
  const E = await startElectricd({ databaseUrl: db.url, env: { ELECTRIC_LONG_POLL_TIMEOUT: '5000' } });

  const c = await startShapeClient(E);
  let timer;
  const rows = await Promise.race([
    c.shape.rows,
    new Promise((_, rej) => {
      timer = setTimeout(() => rej(new Error('shape.rows did not resolve in 15 s')), 15_000);
    }),
  ]).finally(() => clearTimeout(timer));
  assert.equal(canon(rows), canon(await db.sql('SELECT id, title, done FROM items')));
  assert.ok(c.shape.isUpToDate);
  assert.deepEqual(rows.find((r) => r.id === 2), { id: 2, title: 'two', done: true },
    'parsed types: int4 -> number, bool -> boolean');

  await db.sql("INSERT INTO items VALUES (4, 'four', false)");
  await converges('the insert', c, db);
  await db.sql("UPDATE items SET title = 'ONE', done = true WHERE id = 1");
  await converges('the update', c, db);
  await db.sql('DELETE FROM items WHERE id = 3');
  await converges('the delete', c, db);
  const handle = c.shape.handle;

  // SIGKILL the root while the client is live; change rows while down.
  E.kill('SIGKILL');
  await E.exited;
  await db.sql("INSERT INTO items VALUES (5, 'five', true)");
  await db.sql("UPDATE items SET title = 'two!' WHERE id = 2");
  await db.sql('DELETE FROM items WHERE id = 4');
  await E.restart();
  await db.sql("INSERT INTO items VALUES (6, 'six', null)");
  await converges('the client to catch up after the restart', c, db, 60_000);
  assert.equal(c.shape.handle, handle, 'same shape handle after the restart');

  // A client started now converges too.
  const c2 = await startShapeClient(E);
  await converges('a fresh client', c2, db);
  await db.sql("UPDATE items SET done = false WHERE id = 5");
  await converges('the old client, live again', c, db);
  await converges('the fresh client, live', c2, db);

  assert.deepEqual(c.errors, [], 'no errors reached onError');
  assert.deepEqual(c2.errors, []);
  const bad = warnings.filter((w) => /stale|missing headers/i.test(w));
  assert.deepEqual(bad, [], 'no protocol warnings from the client');
  c.stop();
  c2.stop();
  await E.stop();
});

// live_tail: what a long-poll gets when a change wakes it is what the same
// request gets later from the files (PROTOCOL.md §7.3).  http answers a
// wake from the bytes that came with the consumer's notification when the
// publish was small and closed no chunk inside it (struct shapelog_tail in
// consumer/shapelog.h), and plans from the files otherwise.  Either way the
// body and headers must be the same, byte for byte, for every waiter.
// Cases: a one-row update, a transaction that closes a chunk in its middle
// (ELECTRIC_SHAPE_CHUNK_BYTES_THRESHOLD=4096), a row bigger than what a
// notification carries, and a small change again after those.

import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { cleanup, createDatabase, dumpLogs, readToEnd, scenario, shapeGet, sleep, startElectricd }
  from './lib.mjs';

let db;
let E;

before(async () => {
  db = await createDatabase('livetail');
  await db.sql('CREATE TABLE t (id int PRIMARY KEY, v text)');
  await db.sql('CREATE TABLE other (id int PRIMARY KEY)');
  await db.sql("INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')");
  await db.sql('INSERT INTO other VALUES (1)');
  E = await startElectricd({
    databaseUrl: db.url,
    env: { ELECTRIC_LONG_POLL_TIMEOUT: '10000', ELECTRIC_SHAPE_CHUNK_BYTES_THRESHOLD: '4096' },
  }).catch((err) => { dumpLogs('start-up failed'); throw err; });
});
after(cleanup);

const upToDate = (r) => r.headers['electric-up-to-date'] !== undefined;

/* Parks two long-polls at offset, runs the transaction, and checks that
 * both answers are the same and that a plain request at that offset,
 * planned from the files, is too.  Returns the answer. */
async function wakeAndCompare(s, offset, statements, what) {
  const params = { table: 't', handle: s.handle, offset };
  const waiters = [shapeGet(E, { ...params, live: 'true' }), shapeGet(E, { ...params, live: 'true' })];
  await sleep(200);
  await db.sql(statements.join('; '));	// one query string: one transaction
  const [a, b] = await Promise.all(waiters);
  assert.equal(a.status, 200, `${what}: ${a.text}`);
  assert.ok(a.body.some((m) => typeof m.key === 'string'), `${what}: the change came: ${a.text}`);
  assert.equal(b.text, a.text, `${what}: both waiters get the same body`);
  assert.equal(b.headers['electric-offset'], a.headers['electric-offset']);
  // Another shape's request in between, then the same offset again,
  // answered from the files.
  const o = await readToEnd(E, { table: 'other' });
  assert.equal(o.handle.length > 0, true);
  const cold = await shapeGet(E, params);
  assert.equal(cold.status, 200, `${what}: ${cold.text}`);
  assert.equal(cold.text, a.text, `${what}: the wake's body is the files' body`);
  assert.equal(cold.headers['electric-offset'], a.headers['electric-offset'], what);
  assert.equal(upToDate(cold), upToDate(a), `${what}: up-to-date both times or neither`);
  return a;
}

/* Follows from r to the end (for a wake that stopped at a chunk's end). */
async function toEnd(s, r) {
  let offset = r.headers['electric-offset'];
  while (!upToDate(r)) {
    r = await shapeGet(E, { table: 't', handle: s.handle, offset });
    assert.equal(r.status, 200, r.text);
    offset = r.headers['electric-offset'];
  }
  return offset;
}

scenario('a woken long-poll gets what the files give, for every kind of publish', async () => {
  const s = await readToEnd(E, { table: 't' });
  let offset = s.offset;

  let r = await wakeAndCompare(s, offset, ["UPDATE t SET v = 'a2' WHERE id = 1"], 'one-row update');
  assert.ok(upToDate(r), 'a small publish is answered whole, up to date');
  offset = await toEnd(s, r);

  const pad = 'p'.repeat(200);
  r = await wakeAndCompare(s, offset,
    [`INSERT INTO t SELECT g, '${pad}' || g FROM generate_series(100, 139) g`],
    'a transaction closing a chunk in its middle');
  assert.ok(!upToDate(r), 'the wake stops at the chunk end');
  offset = await toEnd(s, r);

  r = await wakeAndCompare(s, offset, [`INSERT INTO t VALUES (200, '${'q'.repeat(20000)}')`],
    'a row larger than a notification carries');
  offset = await toEnd(s, r);

  r = await wakeAndCompare(s, offset, ["DELETE FROM t WHERE id = 2", "UPDATE t SET v = 'c2' WHERE id = 3"],
    'a small transaction again');
  assert.ok(upToDate(r));
  assert.equal(r.body.filter((m) => typeof m.key === 'string').length, 2, r.text);
});

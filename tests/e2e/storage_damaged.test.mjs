// storage_damaged: shape directories damaged while electricd is stopped
// (a log that lost its tail; a snapshot chunk whose bytes changed) are
// detected at the next start, dropped, and their clients get 409 with a
// new handle whose fresh snapshot equals Postgres.  An untouched shape
// keeps its handle and its data.  Never a byte of a damaged directory is
// served.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after } from 'node:test';
import {
  assert409, cleanup, createDatabase, createItems, readToEnd, scenario, shapeGet,
  waitFor,
} from './lib.mjs';
import { startElectricd } from './lib.mjs';
import { logLines } from './storage_lib.mjs';

after(cleanup);

function rowsOf(messages) {
  const m = new Map();
  for (const x of messages) {
    const op = x.headers?.operation;
    if (op === 'insert' || op === 'update') m.set(x.value.id, { ...(m.get(x.value.id) || {}), ...x.value });
    if (op === 'delete') m.delete(x.value.id);
  }
  return m;
}

async function assertEqualsPg(db, E, params, handle, what) {
  const r = await readToEnd(E, { ...params, handle });
  const got = rowsOf(r.messages);
  const where = params.where ? ` WHERE ${params.where}` : '';
  const pgRows = await db.sql(`SELECT id::text, title FROM items${where} ORDER BY id`);
  assert.equal(got.size, pgRows.length, `${what}: row count`);
  for (const row of pgRows) assert.equal(got.get(row.id)?.title, row.title, `${what}: row ${row.id}`);
}

scenario('damaged shape directories are dropped: 409 and a fresh snapshot', async () => {
  const db = await createDatabase('stdamage');
  await createItems(db);
  const E = await startElectricd({ databaseUrl: db.url, env: { ELECTRIC_LONG_POLL_TIMEOUT: '2000' } });
  const shapes = {
    logcut: { table: 'items' },
    chunk: { table: 'items', where: 'id > 1' },
    intact: { table: 'items', where: 'id < 100' },
  };
  for (const s of Object.values(shapes)) s.first = await readToEnd(E, s.params = { ...s });
  for (let i = 10; i < 20; i++) await db.sql('INSERT INTO items VALUES ($1, $2, true)', [i, `t${i}`]);
  for (const s of Object.values(shapes)) {
    await waitFor('the rows in the shape', async () => {
      const r = await readToEnd(E, s.params);
      s.end = r;
      return r.messages.filter((m) => m.headers?.operation === 'insert').length >= 10;
    }, 15_000, 200);
  }
  await E.stop();

  const dirOf = (s) => path.join(E.storageDir, 'shapes', s.end.handle);
  // 1. the log lost its last bytes (the index still has them)
  const log = path.join(dirOf(shapes.logcut), 'log');
  fs.truncateSync(log, fs.statSync(log).size - 5);
  // 2. a snapshot chunk's bytes changed (same size)
  const chunk = path.join(dirOf(shapes.chunk), 'snapshot.0');
  const fd = fs.openSync(chunk, 'r+');
  fs.writeSync(fd, Buffer.from('X'), 0, 1, fs.statSync(chunk).size - 1);
  fs.closeSync(fd);

  await E.restart();
  for (const [name, s] of Object.entries(shapes)) {
    const r = await shapeGet(E, { ...s.params, handle: s.end.handle, offset: s.end.offset });
    if (name === 'intact') {
      assert.equal(r.status, 200, `intact shape keeps its handle: ${r.text}`);
      assert.equal(r.headers['electric-handle'], s.end.handle);
      continue;
    }
    const nh = assert409(r, undefined, `${name}: 409`);
    assert.ok(nh && nh !== s.end.handle, `${name}: a new handle (${nh})`);
    await assertEqualsPg(db, E, s.params, nh, `${name} fresh snapshot`);
    // The old handle is never served again (offset=-1 may start over on
    // the new one, never on the old).
    const old = await shapeGet(E, { ...s.params, handle: s.end.handle, offset: '-1' });
    assert.ok(old.status === 409 || (old.status === 200 && old.headers['electric-handle'] === nh),
      `${name}: old handle is gone: ${old.status} ${old.headers['electric-handle']}`);
  }
  await assertEqualsPg(db, E, shapes.intact.params, shapes.intact.end.handle, 'intact shape');
  assert.ok(logLines(E, /damaged.*log: \d+ bytes, log\.idx needs/).length > 0,
    'the log says the log lost bytes');
  assert.ok(logLines(E, /damaged.*snapshot\.0: not whole entries/).length > 0,
    'the log says the chunk is damaged');
});

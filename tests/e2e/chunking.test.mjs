// chunking: snapshot and main-log chunks (PROTOCOL.md §7.1-§7.3; §17
// item 29) with ELECTRIC_SHAPE_CHUNK_BYTES_THRESHOLD=4096 and rows of
// ~200 bytes of JSON.  The snapshot (300 rows) comes as chunks 0_0, 0_1,
// ... each closing at the first row that brings it to the threshold; only
// the last holds snapshot-end; up-to-date only at the very end; no
// response is empty without advancing.  Then 300 changes (30 small
// transactions and one of 100 rows, so a chunk ends mid-transaction) come
// as main-log chunks the same way.  Every completed chunk reads back byte
// for byte (and with the same etag), also after later changes.

import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import {
  changesFor, cleanup, createDatabase, dumpLogs, follow, isChange, isUpToDate, scenario, shapeGet,
  sleep, startElectricd, waitFor,
} from './lib.mjs';

const THRESHOLD = 4096;
const PAD = 'x'.repeat(100);

let db;
let E;
let handle;
let snapEnd;			// electric-offset of the last snapshot chunk
const reads = [];		// { params, status, text, etag, upToDate }

before(async () => {
  db = await createDatabase('chunks');
  await db.sql('CREATE TABLE big (id int PRIMARY KEY, title text)');
  await db.sql(`INSERT INTO big SELECT g, '${PAD}' || g FROM generate_series(1, 300) g`);
  E = await startElectricd({
    databaseUrl: db.url,
    env: { ELECTRIC_LONG_POLL_TIMEOUT: '2000', ELECTRIC_SHAPE_CHUNK_BYTES_THRESHOLD: String(THRESHOLD) },
  }).catch((err) => { dumpLogs('start-up failed'); throw err; });
});
after(cleanup);

async function get(params) {
  const r = await shapeGet(E, { table: 'big', ...params });
  assert.equal(r.status, 200, `${JSON.stringify(params)}: ${r.text}`);
  assert.ok(Array.isArray(r.body), r.text);
  reads.push({ params, text: r.text, etag: r.headers.etag, upToDate: isUpToDate(r.body.at(-1)) });
  return r;
}

/* Bytes of the log entries of a response as §7.1 counts them: the sum of
 * (entry JSON length + 1), i.e. the body without its brackets plus one;
 * and the same without the last entry.  Compact JSON is assumed (the
 * re-serialised length of each entry); the bound check allows one byte
 * per entry of slack for a server that counts separators differently. */
function chunkBytes(entries) {
  const lens = entries.map((m) => Buffer.byteLength(JSON.stringify(m)) + 1);
  const total = lens.reduce((a, b) => a + b, 0);
  return { total, withoutLast: total - lens.at(-1), slack: entries.length };
}

function assertClosedChunk(entries, what) {
  const b = chunkBytes(entries);
  assert.ok(b.total >= THRESHOLD - b.slack,
    `${what}: a closed chunk reaches the threshold (${b.total} bytes, ${entries.length} entries)`);
  assert.ok(b.withoutLast < THRESHOLD + b.slack,
    `${what}: the chunk closes at the first entry that reaches the threshold ` +
    `(${b.withoutLast} bytes before its last entry)`);
}

scenario('29: the snapshot comes in threshold-sized chunks 0_0, 0_1, ...', async () => {
  let r = await get({ offset: '-1' });
  handle = r.headers['electric-handle'];
  assert.equal(r.headers['electric-offset'], '0_0');
  assert.equal(r.headers['electric-up-to-date'], undefined, 'offset=-1 is never up to date');
  const rows = [];
  let offset = '0_0';
  let n = 0;
  let ended = false;
  for (;;) {
    const entries = r.body.filter((m) => !isUpToDate(m));
    assert.ok(entries.length > 0, `chunk 0_${n} is not empty: ${r.text}`);
    const ctl = entries.filter((m) => !isChange(m));
    rows.push(...entries.filter(isChange));
    if (ctl.length > 0) {
      assert.deepEqual(ctl.map((m) => m.headers.control), ['snapshot-end'], `chunk 0_${n}`);
      assert.equal(entries.at(-1).headers.control, 'snapshot-end', 'snapshot-end is last');
      ended = true;
    } else {
      assertClosedChunk(entries, `snapshot chunk 0_${n}`);
    }
    const up = r.headers['electric-up-to-date'] !== undefined;
    assert.equal(up, isUpToDate(r.body.at(-1)), 'electric-up-to-date iff the body ends with it');
    if (up) {
      assert.ok(ended, `up-to-date only once the snapshot has ended (chunk 0_${n})`);
      break;
    }
    assert.ok(!ended, `chunk 0_${n} has snapshot-end but the response is not up to date`);
    r = await get({ offset, handle });
    n++;
    assert.equal(r.headers['electric-offset'], `0_${n}`, `the request at ${offset} returns chunk 0_${n}`);
    offset = r.headers['electric-offset'];
    assert.ok(n < 100, 'too many chunks');
  }
  snapEnd = offset;
  assert.ok(n >= 10, `300 rows of ~200 bytes at 4096 bytes a chunk make 10+ chunks, got ${n + 1}`);
  const ids = rows.map((m) => Number(m.value.id)).sort((a, b) => a - b);
  assert.deepEqual(ids, Array.from({ length: 300 }, (_, i) => i + 1), 'every row exactly once');
  for (const m of rows) assert.equal(m.value.title, `${PAD}${m.value.id}`);

  // At the end: only up-to-date, offset unchanged.
  r = await get({ offset: snapEnd, handle });
  assert.equal(r.headers['electric-offset'], snapEnd);
  assert.deepEqual(r.body.map((m) => m.headers.control), ['up-to-date']);
});

scenario('29: changes come in main-log chunks the same way', async () => {
  for (let t = 0; t < 30; t++) {
    const lo = 1001 + t * 10;
    await db.sql(`INSERT INTO big SELECT g, '${PAD}' || g FROM generate_series(${lo}, ${lo + 9}) g`);
  }
  await db.sql(`INSERT INTO big SELECT g, '${PAD}' || g FROM generate_series(2001, 2100) g`);
  const want = [...Array.from({ length: 300 }, (_, i) => 1001 + i),
    ...Array.from({ length: 100 }, (_, i) => 2001 + i)];

  // Wait until the shape has all of them (the last one is row 2100).
  const f = follow(E, { table: 'big', handle, offset: snapEnd });
  await waitFor('the shape to hold the 400 changes', () => changesFor(f, 2100, 'big').length > 0,
    20_000);
  await f.stop();
  assert.deepEqual(f.errors, []);

  const changes = [];
  let offset = snapEnd;
  let chunks = 0;
  for (;;) {
    const r = await get({ offset, handle });
    const next = r.headers['electric-offset'];
    const entries = r.body.filter((m) => !isUpToDate(m));
    const up = r.headers['electric-up-to-date'] !== undefined;
    assert.equal(up, isUpToDate(r.body.at(-1)), 'electric-up-to-date iff the body ends with it');
    if (entries.length === 0) {
      assert.ok(up, `a response without entries must be up-to-date (at ${offset}): ${r.text}`);
      assert.equal(next, offset);
      break;
    }
    assert.ok(entries.every(isChange), `only changes in the main log: ${r.text.slice(0, 300)}`);
    const lastE = entries.at(-1);
    assert.equal(next, `${lastE.headers.lsn}_${lastE.headers.op_position}`,
      'electric-offset is the offset of the last entry');
    changes.push(...entries);
    chunks++;
    offset = next;
    if (up) break;
    assertClosedChunk(entries, `main-log chunk ending at ${next}`);
    assert.ok(chunks < 200, 'too many chunks');
  }
  assert.ok(chunks >= 10, `400 changes of ~300 bytes at 4096 bytes a chunk make 10+ chunks, got ${chunks}`);
  assert.deepEqual(changes.map((m) => Number(m.value.id)), want, 'every change once, in commit order');
  for (const m of changes) assert.equal(m.headers.operation, 'insert');

  // Offsets strictly increase across the whole log.
  const key = (m) => [BigInt(m.headers.lsn), m.headers.op_position];
  for (let i = 1; i < changes.length; i++) {
    const [a, b] = [key(changes[i - 1]), key(changes[i])];
    assert.ok(a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]), `offsets increase at entry ${i}`);
  }
  // A live request from an old offset is answered at once with the next chunk.
  const l = await shapeGet(E, { table: 'big', handle, offset: snapEnd, live: 'true', cursor: '' });
  assert.equal(l.status, 200, l.text);
  assert.ok(l.ms < 1000, `answered at once (${l.ms} ms)`);
  assert.equal(l.headers['electric-up-to-date'], undefined, 'not the end yet: no up-to-date');
  assert.equal(l.body.filter(isChange)[0]?.value.id, '1001', 'the first main-log chunk');
  assert.match(l.headers['electric-cursor'] ?? '', /^\d+$/);
});

scenario('29: every completed chunk reads back byte for byte', async () => {
  await db.sql(`INSERT INTO big VALUES (3000, 'later')`);
  await sleep(300);
  let n = 0;
  for (const x of reads) {
    const r = await shapeGet(E, { table: 'big', ...x.params });
    assert.equal(r.status, 200, r.text);
    if (x.upToDate) continue;	// the end of the log moved on
    assert.equal(r.text, x.text, `re-read of ${JSON.stringify(x.params)} is byte-identical`);
    assert.equal(r.headers.etag, x.etag, `same etag for ${JSON.stringify(x.params)}`);
    n++;
  }
  assert.ok(n >= 20, `compared ${n} completed chunks`);
});

// oracle: a randomised differential test (issue 5).  A seeded PRNG drives
// batches of multi-statement transactions (INSERT, UPDATE, DELETE,
// PK-changing UPDATE, upserts, no-op updates, rollbacks) over three tables
// (int PK; bigint PK; composite PK) while 50+ shapes (whole tables, WHERE
// clauses of many kinds, params, columns, replica=full) are each
// materialised by the real @electric-sql/client.  After every batch each
// client must converge to `SELECT <cols> FROM t WHERE <where>` on Postgres
// (rows compared as sorted JSON of the parsed values).  A few shapes are
// also followed with raw long-poll requests that check that no change is
// delivered twice, that change positions (lsn, op_position) and response
// offsets only grow, and that inserts/updates/deletes apply to a map
// cleanly (no insert of a present key, no update/delete of a missing one).
// At the end every shape is read again from offset -1 and compared.
//
// Environment:
//   ORACLE_SEED=N        replay a run (the seed is printed at the start)
//   ORACLE_SCALE=large   more batches and shapes (make chaos)
//   ORACLE_CHAOS=1       SIGKILL a random electricd process (root included:
//                        then restart on the same storage dir and port)
//                        during most batches; convergence is still required
//   ORACLE_BATCHES=N     override the number of batches

import assert from 'node:assert/strict';
import { after } from 'node:test';
import pg from 'pg';
import {
  cleanup, createDatabase, descendantsOf, alive, dumpLogs, importClient, isChange,
  onCleanup, procRole, processTree, readToEnd, scenario, sleep, startElectricd, waitFor,
} from './lib.mjs';

after(cleanup);

const { Shape, ShapeStream } = await importClient();

const LARGE = process.env.ORACLE_SCALE === 'large';
const CHAOS = process.env.ORACLE_CHAOS === '1';
const SEED = process.env.ORACLE_SEED !== undefined
  ? Number(process.env.ORACLE_SEED) >>> 0
  : ((Date.now() ^ (process.pid << 8)) >>> 0);
const CFG = {
  batches: Number(process.env.ORACLE_BATCHES) || (LARGE ? 60 : 25),
  txPerBatch: LARGE ? 6 : 4,		// 1..n transactions per batch
  stmtsPerTx: LARGE ? 8 : 6,		// 1..n statements per transaction
  followers: LARGE ? 8 : 4,		// shapes also followed with raw requests
  convergeMs: CHAOS ? 120_000 : 30_000,
  killChance: 0.75,			// chaos: per batch
  rootShare: 0.25,			// chaos: share of kills that hit the root
  timeout: LARGE || CHAOS ? 1_800_000 : 150_000,
};
const RUN = `seed ${SEED}${LARGE ? ', large' : ', small'}${CHAOS ? ', chaos' : ''}`;
console.log(`oracle: ${RUN} (replay with ORACLE_SEED=${SEED})`);

// ---------------------------------------------------------------- PRNG

function mulberry32(a) {
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = mulberry32(SEED);
const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
const pick = (xs) => xs[Math.floor(rand() * xs.length)];
const chance = (p) => rand() < p;
const maybeNull = (v, p = 0.1) => (chance(p) ? null : v);

// ---------------------------------------------------------------- schema

// Column types as the client parses them: 'num' (int2/int4/float8 ->
// Number), 'big' (int8 -> BigInt), 'bool', 'text'.
const TABLES = {
  t1: {
    ddl: `CREATE TABLE t1 (id int PRIMARY KEY, name text, flag bool, n int,
           big int8, score float8)`,
    pk: ['id'],
    cols: { id: 'num', name: 'text', flag: 'bool', n: 'num', big: 'big', score: 'num' },
  },
  t2: {
    ddl: 'CREATE TABLE t2 (id int8 PRIMARY KEY, tag varchar(20), qty int2, active bool)',
    pk: ['id'],
    cols: { id: 'big', tag: 'text', qty: 'num', active: 'bool' },
  },
  t3: {
    ddl: 'CREATE TABLE t3 (a int, b text, v int, note text, PRIMARY KEY (a, b))',
    pk: ['a', 'b'],
    cols: { a: 'num', b: 'text', v: 'num', note: 'text' },
  },
};

const NAMES = ['alpha', 'beta', 'gamma', 'delta', 'Alpha', 'BETA', 'a/b', "it's", '', 'x y',
  'quote"d', 'back\\slash', 'abc', 'bab'];
const BIGS = ['0', '-1', '42', '999999999', '1000000001', '1099511627776',
  '9007199254740993', '-9223372036854775808', '9223372036854775807'];
const TAGS = ['t1', 't2', 't3', 'T2', 'x', 'tag10', 'a/b/c', ''];
const BS = ['x', 'y', 'z', 'a/b', 'q"t', 'b\\s', 'long text value'];
const NOTES = ['n1', 'note', 'x', 'nn', '', 'n/2'];

const T2_IDS = () => (chance(0.2) ? String(5_000_000_000 + int(0, 5)) : String(int(1, 30)));
const gen = {
  t1: () => [int(1, 50), maybeNull(pick(NAMES)), maybeNull(chance(0.5)), maybeNull(int(-5, 80)),
    maybeNull(pick(BIGS)), maybeNull(int(-20, 40) / 4)],
  t2: () => [T2_IDS(), maybeNull(pick(TAGS)), maybeNull(int(-3, 20)), maybeNull(chance(0.5))],
  t3: () => [int(1, 4), pick(BS), maybeNull(int(-5, 30)), maybeNull(pick(NOTES))],
};

// ---------------------------------------------------------------- shapes

const P = (where, params, extra = {}) => ({ where, params, ...extra });
const SHAPES = [
  ['t1', {}],
  ['t1', { replica: 'full' }],
  ['t1', { columns: ['id', 'name'] }],
  ['t1', P('flag = true')],
  ['t1', P('flag IS NOT TRUE')],
  ['t1', P('n > 50')],
  ['t1', P('n BETWEEN 10 AND 40')],
  ['t1', P('n IS NULL')],
  ['t1', P('n IS NOT NULL AND n % 3 = 0')],
  ['t1', P("name LIKE 'a%'")],
  ['t1', P("name ILIKE '%b%'")],
  ['t1', P("name IN ('alpha', 'beta', 'a/b')")],
  ['t1', P('name = $1', ['gamma'])],
  ['t1', P('id < $1 AND n >= $2', ['25', '10'])],
  ['t1', P('NOT (flag OR n > 20)')],
  ['t1', P('big > 1000000000')],
  ['t1', P('score >= 2.5')],
  ['t1', P('score * 2 < n')],
  ['t1', P('coalesce(n, 0) < 10')],
  ['t1', P("lower(name) = 'alpha'")],
  ['t1', P('id IN (1, 2, 3, 5, 8, 13, 21, 34)')],
  ['t1', P("name || '!' = 'beta!'")],
  ['t1', P('id % 2 = 0 OR flag IS NULL')],
  ['t1', P("name IS DISTINCT FROM 'alpha'")],
  ['t1', P("n = ANY('{1,2,3,10,20}'::int4[])")],
  ['t1', P('greatest(n, id) > 30')],
  ['t1', P("name NOT LIKE '%a%'")],
  ['t1', P('n NOT IN (1, 2, 3)')],
  ['t1', P("name > 'beta'")],
  ['t1', P('flag = $1', ['false'], { columns: ['id', 'flag', 'n'] })],
  ['t1', P('n > 20', undefined, { columns: ['id', 'n'], replica: 'full' })],
  ['t1', P('big IS NULL OR big < 0', undefined, { replica: 'full' })],
  ['t1', P('score IS NOT NULL AND score <> 0 AND n / 2 > 5')],
  ['t2', {}],
  ['t2', { replica: 'full' }],
  ['t2', P('active')],
  ['t2', P('qty > 5 AND active IS NOT FALSE')],
  ['t2', P("tag LIKE '%1%'")],
  ['t2', P('id > 1000')],
  ['t2', P('id = $1 OR id = $2', ['3', '5000000001'])],
  ['t2', P('qty IS NULL', undefined, { columns: ['id', 'qty'] })],
  ['t2', P("tag IN ('t1', 't2', 't3') OR qty < 0")],
  ['t2', P('upper(tag) = $1', ['T2'])],
  ['t2', P('id % 3 = 1')],
  ['t2', P("NOT active AND tag <> 'x'")],
  ['t3', {}],
  ['t3', { replica: 'full' }],
  ['t3', P('a = 1')],
  ['t3', P("b = 'a/b'")],
  ['t3', P('v > 10 OR note IS NULL')],
  ['t3', P("a IN (1, 2) AND b <> 'x'")],
  ['t3', P("note LIKE 'n%'", undefined, { columns: ['a', 'b', 'note'] })],
  ['t3', P('a = $1 AND b = $2', ['2', 'y'])],
  ['t3', P("b > 'q'")],
  ['t3', P('v BETWEEN $1 AND $2', ['0', '20'], { replica: 'full' })],
  ['t3', P('coalesce(v, -1) < 0')],
  ['t3', P("concat(b, '-', a) LIKE 'x-%'")],
];
if (LARGE) {
  for (const k of [0, 10, 20, 30, 40, 50, 60, 70]) SHAPES.push(['t1', P('n > $1', [String(k)])]);
  for (const k of [2, 3, 4, 5, 7]) SHAPES.push(['t1', P('id % $1 = 0', [String(k)], { columns: ['id', 'big'] })]);
  for (const k of [-1, 3, 8, 15]) SHAPES.push(['t2', P('qty >= $1', [String(k)], { replica: 'full' })]);
  for (const k of [1, 2, 3, 4]) SHAPES.push(['t3', P('a = $1', [String(k)], { columns: ['a', 'b', 'v'] })]);
  for (const b of BS) SHAPES.push(['t3', P('b = $1 OR v < 0', [b])]);
  SHAPES.push(['t1', P("name ILIKE 'A%' AND flag IS NOT NULL", undefined, { replica: 'full' })]);
  SHAPES.push(['t2', P("tag LIKE 't%' AND id < 20", undefined, { columns: ['id', 'tag'] })]);
}

const shapes = SHAPES.map(([table, o], i) => ({
  i,
  table,
  where: o.where,
  params: o.params,
  columns: o.columns,
  replica: o.replica,
}));

function describe(s) {
  const parts = [`#${s.i} ${s.table}`];
  if (s.where) parts.push(`where ${JSON.stringify(s.where)}`);
  if (s.params) parts.push(`params ${JSON.stringify(s.params)}`);
  if (s.columns) parts.push(`columns ${s.columns.join(',')}`);
  if (s.replica) parts.push(`replica=${s.replica}`);
  return parts.join(' ');
}

const qi = (c) => `"${c}"`;
function shapeQuery(s) {
  const cols = s.columns ? s.columns.map(qi).join(', ') : '*';
  return `SELECT ${cols} FROM ${s.table}${s.where ? ` WHERE ${s.where}` : ''}`;
}

// The client's request parameters for s.
function clientParams(s) {
  const p = { table: s.table };
  if (s.where) p.where = s.where;
  if (s.params) p.params = s.params;
  if (s.columns) p.columns = s.columns;
  if (s.replica) p.replica = s.replica;
  return p;
}

// The same as a flat query for raw requests.
function rawParams(s) {
  const p = { table: s.table };
  if (s.where) p.where = s.where;
  (s.params || []).forEach((v, k) => { p[`params[${k + 1}]`] = v; });
  if (s.columns) p.columns = s.columns.map(qi).join(',');
  if (s.replica) p.replica = s.replica;
  return p;
}

// ---------------------------------------------------------------- rows

// One canonical JSON text per row: keys sorted, int8 as a decimal string
// (BigInt from the client, string from pg), everything else as parsed.
function canonRow(row) {
  const o = {};
  for (const k of Object.keys(row).sort()) {
    const v = row[k];
    o[k] = typeof v === 'bigint' ? v.toString() : v;
  }
  return JSON.stringify(o);
}

// Map key text -> canonical row text.
function keyOf(table, row) {
  return JSON.stringify(TABLES[table].pk.map((c) => {
    const v = row[c];
    return typeof v === 'bigint' ? v.toString() : v;
  }));
}

function canonRows(table, rows) {
  const m = new Map();
  for (const r of rows) m.set(keyOf(table, r), canonRow(r));
  return m;
}

// Raw wire values (strings) parsed the way the client parses them.
function parseRaw(table, value) {
  const o = {};
  for (const [k, v] of Object.entries(value)) {
    const t = TABLES[table].cols[k];
    if (v === null) o[k] = null;
    else if (t === 'num') o[k] = Number(v);
    else if (t === 'big') o[k] = v;
    else if (t === 'bool') o[k] = v === 't' || v === 'true';
    else o[k] = v;
  }
  return o;
}

const sameRows = (a, b) => a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);

// A readable diff of two row maps (got vs want), at most max lines.
function diffRows(got, want, max = 12) {
  const lines = [];
  for (const [k, v] of want) {
    if (!got.has(k)) lines.push(`  missing ${v}`);
    else if (got.get(k) !== v) lines.push(`  differs ${k}: got ${got.get(k)} want ${v}`);
  }
  for (const [k, v] of got) if (!want.has(k)) lines.push(`  extra   ${v}`);
  const more = lines.length > max ? [`  ... ${lines.length - max} more`] : [];
  return [...lines.slice(0, max), ...more].join('\n');
}

// ---------------------------------------------------------------- workload

const PK_SQL = {
  t1: 'id = $1',
  t2: 'id = $1',
  t3: 'a = $1 AND b = $2',
};
const pkArgs = (t) => (t === 't3' ? [int(1, 4), pick(BS)] : [t === 't1' ? int(1, 50) : T2_IDS()]);

// One random statement: [text, params, kind].
function randomStatement() {
  const t = pick(['t1', 't1', 't2', 't3']);
  const cols = Object.keys(TABLES[t].cols);
  const row = gen[t]();
  const k = rand();
  if (k < 0.30) {
    const ph = row.map((_, j) => `$${j + 1}`).join(', ');
    const conflict = chance(0.5)
      ? 'DO NOTHING'
      : `DO UPDATE SET ${cols.filter((c) => !TABLES[t].pk.includes(c))
        .map((c) => `${c} = EXCLUDED.${c}`).join(', ')}`;
    return [`INSERT INTO ${t} VALUES (${ph}) ON CONFLICT (${TABLES[t].pk.join(', ')}) ${conflict}`,
      row, 'insert'];
  }
  if (k < 0.60) {		// update some non-PK columns of one row
    const nonPk = cols.map((c, j) => [c, j]).filter(([c]) => !TABLES[t].pk.includes(c));
    const set = nonPk.filter(() => chance(0.5));
    if (set.length === 0) set.push(pick(nonPk));
    const key = pkArgs(t);
    const params = [...key, ...set.map(([, j]) => row[j])];
    const assigns = set.map(([c], j) => `${c} = $${key.length + j + 1}`).join(', ');
    return [`UPDATE ${t} SET ${assigns} WHERE ${PK_SQL[t]}`, params, 'update'];
  }
  if (k < 0.66) {		// several rows at once
    if (t === 't1') return ['UPDATE t1 SET n = n + 7, flag = NOT flag WHERE id % 6 = $1', [int(0, 5)], 'update-many'];
    if (t === 't2') return ['UPDATE t2 SET qty = qty - 2 WHERE id % 4 = $1', [int(0, 3)], 'update-many'];
    return ['UPDATE t3 SET v = v + 5 WHERE a = $1', [int(1, 4)], 'update-many'];
  }
  if (k < 0.70) {		// an update that changes nothing
    const c = pick(cols.filter((x) => !TABLES[t].pk.includes(x)));
    const key = pkArgs(t);
    return [`UPDATE ${t} SET ${c} = ${c} WHERE ${PK_SQL[t]}`, key, 'noop'];
  }
  if (k < 0.84) {
    const key = pkArgs(t);
    if (chance(0.15) && t !== 't3') {
      return [`DELETE FROM ${t} WHERE id BETWEEN $1 AND $1 + 2`, key, 'delete-range'];
    }
    return [`DELETE FROM ${t} WHERE ${PK_SQL[t]}`, key, 'delete'];
  }
  // PK change (only if the new key is free), sometimes with other columns.
  if (t === 't3') {
    const from = pkArgs(t);
    const to = pkArgs(t);
    return ['UPDATE t3 SET a = $3, b = $4, v = coalesce($5, v) WHERE a = $1 AND b = $2 ' +
      'AND NOT EXISTS (SELECT 1 FROM t3 WHERE a = $3 AND b = $4)',
    [...from, ...to, chance(0.5) ? row[2] : null], 'pk-change'];
  }
  const from = pkArgs(t)[0];
  const to = pkArgs(t)[0];
  const other = t === 't1' ? 'n' : 'qty';
  return [`UPDATE ${t} SET id = $2, ${other} = coalesce($3, ${other}) WHERE id = $1 ` +
    `AND NOT EXISTS (SELECT 1 FROM ${t} WHERE id = $2)`,
  [from, to, chance(0.5) ? int(-3, 20) : null], 'pk-change'];
}

function randomBatch() {
  const txs = [];
  for (let i = int(1, CFG.txPerBatch); i > 0; i--) {
    const stmts = [];
    for (let j = int(1, CFG.stmtsPerTx); j > 0; j--) stmts.push(randomStatement());
    txs.push({ stmts, rollback: chance(0.08) });
  }
  return txs;
}

const showTx = (tx) => `BEGIN; ${tx.stmts.map(([q, p]) => `${q} -- ${JSON.stringify(p)}`)
  .join('; ')}; ${tx.rollback ? 'ROLLBACK' : 'COMMIT'}`;

async function runTx(client, tx) {
  await client.query('BEGIN');
  try {
    for (const [q, p] of tx.stmts) await client.query(q, p);
    await client.query(tx.rollback ? 'ROLLBACK' : 'COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    err.message += `\n  in ${showTx(tx)}`;
    throw err;
  }
}

// ---------------------------------------------------------------- followers

function cmpPos(a, b) {		// [BigInt, BigInt] pairs
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return 0;
}
function offsetPos(o) {
  if (o === '-1') return [-1n, 0n];
  const m = /^(\d+)_(\d+)$/.exec(o);
  return m ? [BigInt(m[1]), BigInt(m[2])] : null;
}

/* Follows shape s with raw long-poll requests; materialises it in f.rows
 * (key -> canonical row) and records every protocol violation in
 * f.problems. */
function rawFollow(E, s) {
  const f = { s, rows: new Map(), problems: [], changes: 0, requests: 0, stopped: false };
  let handle = null;
  let offset = '-1';
  let cursor = '';
  let upToDate = false;
  let lastPos = null;		// last change's [lsn, op_position]
  let lastOffset = [-1n, 0n];
  let ctrl = null;
  const bad = (msg) => { if (f.problems.length < 20) f.problems.push(msg); };
  const apply = (m) => {
    const op = m.headers.operation;
    const row = parseRaw(s.table, m.value);
    if (m.headers.lsn !== undefined) {
      const pos = [BigInt(m.headers.lsn), BigInt(m.headers.op_position)];
      if (lastPos && cmpPos(pos, lastPos) <= 0) {
        bad(`change position ${pos.join('/')} not after ${lastPos.join('/')}: ${JSON.stringify(m)}`);
      }
      lastPos = pos;
    } else if (lastPos) {
      bad(`a change without lsn after replication changes: ${JSON.stringify(m)}`);
    }
    const k = m.key;
    if (op === 'insert') {
      if (f.rows.has(k)) bad(`insert of a key already present (duplicate?): ${JSON.stringify(m)}`);
      f.rows.set(k, row);
    } else if (op === 'update') {
      if (!f.rows.has(k)) bad(`update of a missing key: ${JSON.stringify(m)}`);
      f.rows.set(k, { ...(f.rows.get(k) || {}), ...row });
    } else if (op === 'delete') {
      if (!f.rows.has(k)) bad(`delete of a missing key (duplicate?): ${JSON.stringify(m)}`);
      f.rows.delete(k);
    } else {
      bad(`unknown operation: ${JSON.stringify(m)}`);
    }
    f.changes++;
  };
  const step = async () => {
    const params = { ...rawParams(s), offset };
    if (handle) params.handle = handle;
    if (upToDate) Object.assign(params, { live: 'true', cursor });
    ctrl = new AbortController();
    let r;
    try {
      const res = await fetch(`${E.url}/v1/shape?${new URLSearchParams(params)}`, { signal: ctrl.signal });
      r = { status: res.status, headers: Object.fromEntries(res.headers.entries()), text: await res.text() };
      f.requests++;
    } catch {
      if (!f.stopped) await sleep(100);
      return;
    }
    if (r.status >= 500 || r.status === 429) { await sleep(100); return; }
    if (r.status !== 200) {
      bad(`${r.status} at offset ${offset}: ${r.text.slice(0, 300)}`);
      if (r.status === 409) {	// start over (must not happen: counted as a problem)
        handle = null; offset = '-1'; upToDate = false; lastPos = null;
        lastOffset = [-1n, 0n]; f.rows.clear();
      }
      await sleep(200);
      return;
    }
    const body = JSON.parse(r.text);
    if (handle && r.headers['electric-handle'] !== handle) {
      bad(`handle changed from ${handle} to ${r.headers['electric-handle']} without a 409`);
    }
    handle = r.headers['electric-handle'];
    for (const m of body) if (isChange(m)) apply(m);
    const next = r.headers['electric-offset'];
    const pos = offsetPos(next);
    if (!pos) bad(`bad electric-offset ${next}`);
    else if (cmpPos(pos, lastOffset) < 0) bad(`electric-offset went back: ${offset} -> ${next}`);
    else lastOffset = pos;
    offset = next;
    cursor = r.headers['electric-cursor'] ?? cursor;
    if (body.length > 0 && body[body.length - 1]?.headers?.control === 'up-to-date') upToDate = true;
  };
  f.done = (async () => {
    while (!f.stopped) {
      try {
        await step();
      } catch (err) {
        bad(`follower error: ${err?.message || err}`);
        await sleep(200);
      }
    }
  })();
  f.canon = () => {
    const m = new Map();
    for (const row of f.rows.values()) m.set(keyOf(s.table, row), canonRow(row));
    return m;
  };
  f.stop = async () => {
    f.stopped = true;
    ctrl?.abort();
    await f.done;
  };
  onCleanup(() => f.stop());
  return f;
}

// ---------------------------------------------------------------- clients

function startClient(E, s) {
  const ctrl = new AbortController();
  const c = { s, errors: [] };
  c.stream = new ShapeStream({
    url: `${E.url}/v1/shape`,
    params: clientParams(s),
    signal: ctrl.signal,
    backoffOptions: { initialDelay: 50, maxDelay: 1000, multiplier: 1.5 },
    onError: (err) => { c.errors.push(String(err?.stack || err)); },
  });
  c.shape = new Shape(c.stream);
  c.canon = () => canonRows(s.table, c.shape.currentRows);
  c.stop = () => {
    c.shape.unsubscribeAll();
    c.stream.unsubscribeAll();
    ctrl.abort();
  };
  onCleanup(c.stop);
  return c;
}

// ---------------------------------------------------------------- chaos

const killed = {};		// role -> number of SIGKILLs
let restarting = null;		// a restart of the root in progress
let selfExits = 0;
const orphanMs = [];		// after each root SIGKILL: ms until its children were gone

const rootDown = (E) => E.proc.exitCode !== null || E.proc.signalCode !== null;

/* Chaos only: electricd gives up by design when a group exceeds its
 * restart intensity (supervisor/childspec.c); like a service manager,
 * start it again on the same storage and port. */
function ensureRunning(E, log) {
  if (restarting || !rootDown(E)) return restarting;
  selfExits++;
  log.push(`electricd exited on its own (${E.proc.exitCode ?? E.proc.signalCode}): restarting`);
  restarting = E.restart().finally(() => { restarting = null; });
  return restarting;
}

/* Kills one process; dice ({ root, a, b } in [0, 1), drawn before the
 * call so that the workload's random sequence does not depend on timing)
 * choose it. */
async function chaosKill(E, log, dice) {
  await ensureRunning(E, log);
  const tree = processTree(E);
  const root = dice.root < CFG.rootShare || tree.length === 0;
  if (root) {
    const before = descendantsOf(E.pid);
    let done;
    restarting = new Promise((r) => { done = r; });
    try {
      E.kill('SIGKILL');
      await E.exited;
      killed.root = (killed.root || 0) + 1;
      // Its children notice the closed root channel and exit.
      const t0 = Date.now();
      await waitFor('the old process tree to exit', () => before.every((p) => !alive(p)), 15_000)
        .catch((err) => {
          err.message += `; left: ${JSON.stringify(before.filter(alive).map(procRole))}`;
          throw err;
        });
      orphanMs.push(Date.now() - t0);
      log.push(`SIGKILL root (its children gone after ${Date.now() - t0} ms)`);
      await E.restart();
    } finally {
      restarting = null;
      done();
    }
    return;
  }
  // A role first (uniformly), so that the one-of-a-kind processes are hit
  // as often as the many consumers.
  const roles = [...new Set(tree.map((p) => p.role))];
  const role = roles[Math.floor(dice.a * roles.length)];
  const ofRole = tree.filter((p) => p.role === role);
  const victim = ofRole[Math.floor(dice.b * ofRole.length)];
  try { process.kill(victim.pid, 'SIGKILL'); } catch { /* already gone */ }
  killed[victim.role] = (killed[victim.role] || 0) + 1;
  log.push(`SIGKILL ${victim.role}${victim.shape ? ` ${victim.shape}` : ''} (${victim.pid})`);
}

// ---------------------------------------------------------------- the test

scenario(`oracle: ${shapes.length} shapes, ${CFG.batches} batches (${RUN})`,
  { timeout: CFG.timeout }, async (t) => {
    t.diagnostic(`${RUN}; replay with ORACLE_SEED=${SEED}`);
    assert.ok(shapes.length >= 50, 'at least 50 shapes');
    const db = await createDatabase('oracle');
    for (const tb of Object.values(TABLES)) await db.sql(tb.ddl);
    const writer = new pg.Client({ connectionString: db.url });
    await writer.connect();
    onCleanup(() => writer.end().catch(() => {}));
    // Initial rows.
    for (const t of Object.keys(TABLES)) {
      for (let i = 0; i < 25; i++) {
        const row = gen[t]();
        await writer.query(`INSERT INTO ${t} VALUES (${row.map((_, j) => `$${j + 1}`).join(', ')})` +
          ' ON CONFLICT DO NOTHING', row);
      }
    }

    const E = await startElectricd({
      databaseUrl: db.url,
      env: { ELECTRIC_LONG_POLL_TIMEOUT: '10000' },
    }).catch((err) => { dumpLogs('start-up failed'); throw err; });

    const clients = shapes.map((s) => startClient(E, s));
    const followed = [...shapes].sort(() => rand() - 0.5).slice(0, CFG.followers)
      .concat([shapes[0], shapes[shapes.findIndex((s) => s.table === 't3')]]);
    const followers = [...new Set(followed)].map((s) => rawFollow(E, s));

    const expected = async () => Promise.all(shapes.map(async (s) =>
      canonRows(s.table, await db.sql(shapeQuery(s), s.params || []))));

    let batchLog = ['(initial rows)'];
    let batchNo = 0;
    const converge = async () => {
      const want = await expected();
      const wrong = () => {
        const bad = [];
        for (const c of clients) {
          if (!sameRows(c.canon(), want[c.s.i])) bad.push(['client', c]);
        }
        for (const f of followers) {
          if (!sameRows(f.canon(), want[f.s.i])) bad.push(['raw follower', f]);
        }
        return bad;
      };
      await waitFor(`convergence after batch ${batchNo}`, () => {
        if (CHAOS) ensureRunning(E, batchLog)?.catch(() => {});
        return wrong().length === 0;
      }, CFG.convergeMs, 100).catch((err) => {
        const bad = wrong();
        const lines = [`${bad.length} shape(s) did not converge after batch ${batchNo} (${RUN}, ` +
          `replay with ORACLE_SEED=${SEED}):`];
        for (const [what, x] of bad.slice(0, 8)) {
          lines.push(`${what} of shape ${describe(x.s)}:`);
          lines.push(diffRows(x.canon(), want[x.s.i]));
          if (x.errors?.length) lines.push(`  client errors: ${x.errors.slice(0, 3).join(' | ')}`);
          if (x.problems?.length) lines.push(`  problems: ${x.problems.slice(0, 3).join(' | ')}`);
        }
        lines.push(`batch ${batchNo}:`, ...batchLog.map((l) => `  ${l}`));
        err.message = `${lines.join('\n')}\n(${err.message})`;
        throw err;
      });
      const problems = followers.flatMap((f) => f.problems.map((p) => `${describe(f.s)}: ${p}`));
      assert.deepEqual(problems, [], `raw followers after batch ${batchNo} (${RUN}):\n` +
        `${batchLog.join('\n')}`);
      const errors = clients.flatMap((c) => c.errors.map((e) => `${describe(c.s)}: ${e}`));
      assert.deepEqual(errors, [], `client errors after batch ${batchNo} (${RUN})`);
    };

    const t0 = Date.now();
    await converge();
    t.diagnostic(`initial convergence of ${clients.length} clients and ${followers.length} ` +
      `raw followers in ${Date.now() - t0} ms`);

    const kinds = {};
    let kills = 0;
    for (batchNo = 1; batchNo <= CFG.batches; batchNo++) {
      const txs = randomBatch();
      const killAt = CHAOS && chance(CFG.killChance) ? int(0, txs.length) : -1;
      batchLog = [];
      // The kill (and a restart of the root) runs alongside the workload:
      // it starts after a random delay once transaction killAt is reached.
      let killing = null;
      for (let i = 0; i <= txs.length; i++) {
        if (i === killAt) {
          const delay = int(0, 150);
          const dice = { root: rand(), a: rand(), b: rand() };
          killing = sleep(delay).then(() => chaosKill(E, batchLog, dice));
          kills++;
        }
        if (i === txs.length) break;
        batchLog.push(showTx(txs[i]));
        await runTx(writer, txs[i]);
        for (const [, , kind] of txs[i].stmts) kinds[kind] = (kinds[kind] || 0) + 1;
      }
      await killing;
      await converge();
      if (LARGE || CHAOS) {
        console.log(`oracle: batch ${batchNo}/${CFG.batches} converged after ` +
          `${Math.round((Date.now() - t0) / 1000)} s; ${kills} kills`);
      }
    }

    // Every shape read again from the start agrees too.
    const want = await expected();
    for (const s of shapes) {
      const r = await readToEnd(E, rawParams(s));
      const m = new Map();
      for (const msg of r.messages.filter(isChange)) {
        const row = parseRaw(s.table, msg.value);
        if (msg.headers.operation === 'delete') m.delete(msg.key);
        else m.set(msg.key, { ...(msg.headers.operation === 'update' ? m.get(msg.key) : {}), ...row });
      }
      const got = new Map([...m.values()].map((row) => [keyOf(s.table, row), canonRow(row)]));
      assert.ok(sameRows(got, want[s.i]),
        `fresh read of shape ${describe(s)} (${RUN}):\n${diffRows(got, want[s.i])}`);
    }

    const changes = followers.reduce((n, f) => n + f.changes, 0);
    t.diagnostic(`${CFG.batches} batches in ${Date.now() - t0} ms; statements ${JSON.stringify(kinds)}; ` +
      `${kills} kills ${JSON.stringify(killed)}, ${selfExits} restarts after electricd gave up; children outlived a killed root by ${JSON.stringify(orphanMs)} ms; raw followers saw ${changes} changes`);
    for (const f of followers) await f.stop();
    for (const c of clients) c.stop();
    await restarting;
    await E.stop(CHAOS ? 15_000 : 5000);
  });

// ctl_commands: electricctl's shape, tail, delete, top and stop against a
// real electricd, and the control socket's permissions.
//
// 1. shape HANDLE: definition, offsets, sizes (== the bytes of the shape's
//    files), consumer pid (== status and /proc); an unknown handle exits 1.
// 2. tail: -n N prints the last N stored entries, then each new one as it
//    is stored (--json: the exact message; without: "offset op key
//    values"); SIGINT ends it with 0; deleting the shape ends it with 1
//    and "shape deleted".
// 3. delete HANDLE: the consumer goes, clients of the handle get 409, the
//    next request gets a new handle; a second delete exits 1.
// 4. top: one --json sample with the root and every child, their RSS and
//    CPU; -n 2 prints two tables.
// 5. prefixes and usage errors (exit 2).
// 6. Another user who can reach the socket may read (status) but not
//    stop, restart or delete: "permission denied", exit 1, nothing changes.
// 7. Hostile requests on the socket (not JSON, wrong types, unknown
//    commands, path tricks) get error replies; the daemon carries on.
// 8. stop: electricctl waits until the daemon and its socket are gone,
//    exits 0; then status exits 3.
// 9. A daemon speaking another frame protocol version: exit 4, both
//    versions named.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import {
  ELECTRICCTL, alive, childrenOf, cleanup, createDatabase, createItems, ctl, descendantsOf,
  onCleanup, procRole, scenario, shapeGet, sleep, startElectricd, waitFor,
} from './lib.mjs';

after(cleanup);

/* electricctl running in the background; lines of stdout as they come. */
function spawnCtl(E, args) {
  const dir = typeof E === 'string' ? E : E.storageDir;
  const p = spawn(ELECTRICCTL, ['-d', dir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const t = { proc: p, lines: [], stderr: '', code: undefined, signal: undefined };
  let buf = '';
  p.stdout.setEncoding('utf8');
  p.stderr.setEncoding('utf8');
  p.stdout.on('data', (d) => {
    buf += d;
    for (let i; (i = buf.indexOf('\n')) >= 0; buf = buf.slice(i + 1)) t.lines.push(buf.slice(0, i));
  });
  p.stderr.on('data', (d) => { t.stderr += d; });
  // 'close', not 'exit': after stdout and stderr are read to their end
  t.exited = new Promise((resolve) => p.on('close', (code, signal) => {
    t.code = code;
    t.signal = signal;
    resolve(t);
  }));
  onCleanup(() => { if (t.code === undefined) p.kill('SIGKILL'); });
  return t;
}

async function exitWithin(t, ms, what) {
  const res = await Promise.race([t.exited, sleep(ms).then(() => null)]);
  assert.ok(res, `${what}: electricctl still running after ${ms} ms; stdout ${t.lines.join('\n')}`);
  return res;
}

function ok(r) {
  assert.equal(r.code, 0, `${r.cmd}: exit ${r.code}\n${r.stdout}${r.stderr}`);
  return r;
}

function statusOf(E) {
  const r = ok(ctl(E, ['status']));
  return Object.fromEntries(r.json.processes.map((p) => [p.id, p]));
}

// ---- the frame protocol by hand (common/frame.h; host order = LE here)

const MSG_HELLO = 1;
const MSG_CTL_REQ = 7;
const MSG_CTL_REPLY = 8;

function u32(n) {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}
const str = (s) => Buffer.concat([u32(Buffer.byteLength(s)), Buffer.from(s)]);

function frame(type, id, payload) {
  const h = Buffer.alloc(16);
  h.writeUInt16LE(type, 0);
  h.writeUInt32LE(payload.length, 4);
  h.writeUInt32LE(id, 8);
  h.writeUInt32LE(process.pid, 12);
  return Buffer.concat([h, payload]);
}

/* Sends each request text as MSG_CTL_REQ (ids 1..n) on one connection;
 * resolves to [{ status, body }] in id order. */
function rawCtl(sock, texts) {
  return new Promise((resolve, reject) => {
    const c = net.createConnection(sock);
    const replies = new Map();
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => { c.destroy(); reject(new Error(`replies: ${[...replies.keys()]}`)); }, 10_000);
    c.on('error', reject);
    c.on('connect', () => {
      c.write(frame(MSG_HELLO, 0, Buffer.concat([u32(1), str('test')])));
      texts.forEach((t, i) => c.write(frame(MSG_CTL_REQ, i + 1, str(t))));
    });
    c.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 16 && buf.length >= 16 + buf.readUInt32LE(4)) {
        const type = buf.readUInt16LE(0);
        const len = buf.readUInt32LE(4);
        const id = buf.readUInt32LE(8);
        const p = buf.subarray(16, 16 + len);
        buf = buf.subarray(16 + len);
        if (type !== MSG_CTL_REPLY) continue;
        const n = p.readUInt32LE(2);
        replies.set(id, { status: p.readUInt16LE(0), body: JSON.parse(p.subarray(6, 6 + n).toString()) });
      }
      if (replies.size === texts.length) {
        clearTimeout(timer);
        c.end();
        resolve(texts.map((_, i) => replies.get(i + 1)));
      }
    });
  });
}

function filesBytes(dir) {
  let n = 0;
  for (const f of fs.readdirSync(dir)) {
    const st = fs.lstatSync(path.join(dir, f));
    if (st.isFile()) n += st.size;
  }
  return n;
}

scenario('shape, tail and delete of one shape', async () => {
  const db = await createDatabase('ctlshape');
  await createItems(db);
  const E = await startElectricd({ databaseUrl: db.url, env: { ELECTRIC_LONG_POLL_TIMEOUT: '2000' } });
  let r = await shapeGet(E, { table: 'items', offset: '-1' });
  assert.equal(r.status, 200, r.text);
  const H = r.headers['electric-handle'];
  const snapEnd = r.headers['electric-offset'];

  // Three transactions, stored before tail starts.
  await db.sql("INSERT INTO items VALUES (3, 'three', NULL)");
  await db.sql("UPDATE items SET title = 'two words' WHERE id = 1");
  await db.sql('DELETE FROM items WHERE id = 2');
  const sh = await waitFor('3 log entries in shape', () => {
    const s = ctl(E, ['shape', H]);
    return s.code === 0 && s.json.log_entries === 3 ? s.json : null;
  }, 10_000);

  // 1. shape
  const dir = path.join(E.storageDir, 'shapes', H);
  const st = statusOf(E);
  assert.equal(sh.handle, H);
  assert.equal(sh.table, '"public"."items"');
  assert.equal(sh.log_mode, 'full');
  assert.deepEqual(sh.columns.map((c) => [c.name, c.pk]), [['id', 0], ['title', -1], ['done', -1]]);
  assert.equal(sh.state, 'active');
  assert.match(sh.latest_offset, /^[1-9]\d*_0$/, 'latest offset: the delete, alone in its transaction');
  assert.ok(Number.isInteger(sh.snapshot_xmin) && sh.snapshot_xmin > 0, `xmin ${sh.snapshot_xmin}`);
  assert.equal(sh.snapshot_done, true);
  assert.equal(sh.snapshot_chunks, 1);
  // The consumer writes snapshot.xip's passed_lsn after it has answered
  // the batch that revealed it (off the response path), so the directory
  // may still grow by a few bytes after the entries are visible.
  await waitFor('disk_bytes is the size of the shape directory', () => {
    const s = ctl(E, ['shape', H]);
    return s.code === 0 && s.json.disk_bytes === filesBytes(dir);
  }, 10_000);
  assert.ok(sh.snapshot_bytes > 0 && sh.log_bytes > 0, JSON.stringify(sh));
  assert.equal(sh.consumer_pid, st[H].pid, 'consumer pid as in status');
  assert.equal(sh.consumer_state, 'ready');
  assert.ok(childrenOf(E.pid).map(procRole).some((p) => p.pid === sh.consumer_pid && p.shape === H));
  const human = ok(ctl(E, ['shape', H], { json: false })).stdout;
  assert.match(human, new RegExp(`^handle +${H}\n`));
  assert.match(human, /\ncolumns +id \(pk\), title, done\n/);
  assert.match(human, new RegExp(`\nconsumer +pid ${sh.consumer_pid}, ready, `));
  let bad = ctl(E, ['shape', 'no-such-handle']);
  assert.equal(bad.code, 1, bad.stdout + bad.stderr);
  assert.match(bad.stderr, /no such shape: no-such-handle/);
  assert.equal(bad.json?.error, 'no such shape: no-such-handle');
  bad = ctl(E, ['shape', '../../etc'], { json: false });
  assert.equal(bad.code, 1, bad.stdout + bad.stderr);

  // 2. tail: the last two stored entries, then live ones.
  const tj = spawnCtl(E, ['--json', 'tail', '-n', '2', H]);
  const th = spawnCtl(E, ['ta', '-n3', H]);
  await waitFor('the last two entries', () => tj.lines.length >= 2, 5000);
  await waitFor('the last three entries (human)', () => th.lines.length >= 3, 5000);
  const first = tj.lines.map((l) => JSON.parse(l));
  assert.deepEqual(first.map((m) => [m.headers.operation, m.key]),
    [['update', '"public"."items"/"1"'], ['delete', '"public"."items"/"2"']]);
  assert.equal(first[0].value.title, 'two words');
  assert.match(th.lines[0], /^\d+_0  insert  "public"\."items"\/"3"  id=3 title=three done=NULL$/);
  assert.match(th.lines[1], /^\d+_0  update  "public"\."items"\/"1"  id=1 title="two words"/);
  assert.match(th.lines[2], /^\d+_0  delete  "public"\."items"\/"2"  id=2$/);
  await db.sql("INSERT INTO items VALUES (4, 'four', true)");
  await db.sql("INSERT INTO items VALUES (5, 'five', false), (6, 'six', true)");
  await waitFor('three live entries', () => tj.lines.length >= 5 && th.lines.length >= 6, 10_000);
  const live = tj.lines.slice(2).map((l) => JSON.parse(l));
  assert.deepEqual(live.map((m) => m.value.id), ['4', '5', '6']);
  assert.deepEqual(live[0].value, { id: '4', title: 'four', done: 't' });
  assert.equal(live[2].headers.last, true);
  assert.match(th.lines[5], /^\d+_2  insert  "public"\."items"\/"6"  id=6 title=six done=t$/);
  // What tail printed is what the HTTP API serves.
  r = await shapeGet(E, { table: 'items', offset: snapEnd, handle: H });
  assert.equal(r.status, 200, r.text);
  const served = r.body.filter((m) => typeof m.key === 'string');
  assert.deepEqual(served.slice(-3), live, 'tail --json prints the stored messages');
  await sleep(500);
  assert.equal(tj.lines.length, 5, `nothing more: ${tj.lines.slice(5)}`);
  th.proc.kill('SIGINT');
  assert.equal((await exitWithin(th, 3000, 'tail after SIGINT')).code, 0, th.stderr);

  // 3. delete: tail ends with "shape deleted", clients get 409.
  const consumerPid = sh.consumer_pid;
  const d = ctl(E, ['d', H], { json: false });
  assert.equal(d.code, 0, d.stdout + d.stderr);
  assert.equal(d.stdout, `deleted ${H}\n`);
  const tr = await exitWithin(tj, 5000, 'tail after delete');
  assert.equal(tr.code, 1, `tail exit: ${tr.code} ${tr.stderr}`);
  assert.match(tr.stderr, /shape deleted/);
  await waitFor('the consumer to exit', () => !alive(consumerPid), 5000);
  assert.ok(!fs.existsSync(dir), 'the shape directory is gone');
  r = await shapeGet(E, { table: 'items', offset: snapEnd, handle: H });
  assert.equal(r.status, 409, r.text);
  r = await shapeGet(E, { table: 'items', offset: '-1' });
  assert.equal(r.status, 200, r.text);
  assert.notEqual(r.headers['electric-handle'], H, 'a new handle');
  bad = ctl(E, ['delete', H]);
  assert.equal(bad.code, 1, bad.stdout + bad.stderr);
  assert.equal(bad.json?.error, `no such shape: ${H}`);
  bad = ctl(E, ['shape', H]);
  assert.equal(bad.code, 1);
  bad = ctl(E, ['tail', H], { json: false });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, new RegExp(`no such shape: ${H}`));
});

scenario('top, prefixes, permissions and stop', async (t) => {
  const db = await createDatabase('ctltop');
  await createItems(db);
  const E = await startElectricd({ databaseUrl: db.url });
  const r0 = await shapeGet(E, { table: 'items', offset: '-1' });
  assert.equal(r0.status, 200, r0.text);
  const H = r0.headers['electric-handle'];
  await waitFor('the consumer in status', () => statusOf(E)[H]?.pid, 5000);

  // 4. top
  const top = ok(ctl(E, ['top']));
  const procs = top.json.processes;
  assert.ok(top.json.interval_ms >= 900 && top.json.interval_ms < 5000, `interval ${top.json.interval_ms}`);
  const st = statusOf(E);
  assert.deepEqual(procs.map((p) => p.id).sort(), ['root', ...Object.keys(st)].sort());
  assert.equal(procs.find((p) => p.id === 'root').pid, E.pid);
  for (const p of procs) {
    assert.ok(p.rss_kb > 1000, `rss of ${p.id}: ${p.rss_kb}`);
    assert.ok(typeof p.cpu_pct === 'number' && p.cpu_pct >= 0, `cpu of ${p.id}: ${p.cpu_pct}`);
    if (p.id !== 'root') assert.equal(p.pid, st[p.id].pid);
  }
  const cons = procs.find((p) => p.id === H);
  assert.equal(cons.role, 'consumer');
  assert.equal(cons.log_entries, 0);
  assert.equal(cons.entries_per_s, 0);
  const t0 = Date.now();
  const tt = ok(ctl(E, ['to', '-n', '2'], { json: false }));
  assert.ok(Date.now() - t0 >= 1900, 'two refreshes take two seconds');
  const heads = tt.stdout.split('\n').filter((l) => /^\d+ processes  cpu [\d.]+%  rss /.test(l));
  assert.equal(heads.length, 2, tt.stdout);
  assert.match(tt.stdout, /\nROLE +ID +PID +CPU% +RSS +ENTRIES\/S\n/);
  assert.match(tt.stdout, new RegExp(`\\nconsumer +${H} +${st[H].pid} +[\\d.]+ +[\\d.]+[KM] +0\\.0\\n`));

  // 5. prefixes and usage errors
  assert.equal(ok(ctl(E, ['st'])).json.pid, E.pid);
  assert.ok(Array.isArray(ok(ctl(E, ['sh'])).json.shapes));
  assert.equal(ok(ctl(E, ['shape', H])).json.handle, H);
  for (const [args, re] of [
    [['s'], /ambiguous command "s"/], [['t'], /ambiguous command "t"/],
    [['shape'], /shape needs HANDLE/], [['status', '-n', '2'], /status takes no -n/],
    [['top', '-n', 'x'], /-n needs a number/], [['top', H], /top takes no argument/],
    [['bogus'], /unknown command "bogus"/],
  ]) {
    const u = ctl(E, args, { json: false });
    assert.equal(u.code, 2, `${u.cmd}: ${u.code} ${u.stderr}`);
    assert.match(u.stderr, re, u.cmd);
  }

  // 6. another user: reads yes, changes no
  if (process.getuid() !== 0) {
    t.diagnostic('not root: the other-user check is skipped');
  } else {
    const run = path.join(E.storageDir, 'run');
    fs.chmodSync(E.storageDir, 0o711);
    fs.chmodSync(run, 0o711);
    fs.chmodSync(path.join(run, 'control.sock'), 0o666);
    const before = descendantsOf(E.pid).sort();
    const as = (args) => spawnSync('runuser', ['-u', 'nobody', '--', ELECTRICCTL, '-d',
      E.storageDir, ...args], { encoding: 'utf8', timeout: 20_000 });
    const s = as(['--json', 'status']);
    assert.equal(s.status, 0, s.stderr);
    assert.equal(JSON.parse(s.stdout).pid, E.pid);
    for (const args of [['stop'], ['restart', 'http'], ['restart', H], ['delete', H]]) {
      const x = as(args);
      assert.equal(x.status, 1, `nobody: ${args.join(' ')}: ${x.status} ${x.stdout}${x.stderr}`);
      assert.match(x.stderr, /permission denied/);
    }
    await sleep(300);
    assert.deepEqual(descendantsOf(E.pid).sort(), before, 'nothing restarted or stopped');
    assert.equal(ok(ctl(E, ['shape', H])).json.handle, H, 'the shape is still there');
  }

  // 7. hostile requests
  const sock = path.join(E.storageDir, 'run', 'control.sock');
  const pidsBefore = descendantsOf(E.pid).sort();
  const hostile = [
    ['not json', 'unknown command'],
    ['[]', 'unknown command'],
    ['{"cmd":42}', 'unknown command'],
    ['{"cmd":"STATUS"}', 'unknown command'],
    ['{"cmd":"shape","target":123}', 'no such shape: '],
    ['{"cmd":"shape"}', 'no such shape: '],
    ['{"cmd":"shape","target":"../../../etc"}', 'no such shape: ../../../etc'],
    ['{"cmd":"shape","target":"' + 'x'.repeat(5000) + '"}', 'no such shape: ' + 'x'.repeat(5000)],
    ['{"cmd":"delete","target":""}', 'no such shape: '],
    ['{"cmd":"delete","target":"a/b"}', 'no such shape: a/b'],
    ['{"cmd":"delete","target":"nope-1"}', 'no such shape: nope-1'],
    ['{"cmd":"restart","target":"root"}', 'no such shape or role: root'],
    ['{"cmd":"restart"}', 'restart needs a shape handle or a role'],
  ];
  const replies = await rawCtl(sock, [...hostile.map(([q]) => q), '{"cmd":"top"}', '{"cmd":"status"}']);
  hostile.forEach(([q, want], i) => {
    assert.deepEqual(replies[i], { status: 1, body: { error: want } }, q.slice(0, 60));
  });
  assert.equal(replies[hostile.length].status, 0);
  assert.equal(replies[hostile.length].body.processes[0].pid, E.pid);
  assert.equal(replies[hostile.length + 1].body.pid, E.pid, 'the connection still works');
  assert.deepEqual(descendantsOf(E.pid).sort(), pidsBefore, 'nothing restarted');
  assert.equal(ok(ctl(E, ['shape', H])).json.handle, H);

  // 8. stop
  const tree = [E.pid, ...descendantsOf(E.pid)];
  const sockPath = path.join(E.storageDir, 'run', 'control.sock');
  const s = ctl(E, ['sto'], { json: false });
  assert.equal(s.code, 0, s.stdout + s.stderr);
  assert.equal(s.stdout, `electricd (pid ${E.pid}) is stopping\nelectricd stopped\n`);
  assert.ok(!fs.existsSync(sockPath), 'the control socket is gone when stop returns');
  const ex = await Promise.race([E.exited, sleep(5000).then(() => null)]);
  assert.deepEqual(ex, { code: 0, signal: null }, 'electricd exited with status 0');
  await waitFor('every process to exit', () => tree.filter(alive).length === 0, 5000);
  assert.match(E.log(), /stop requested over the control socket/);
  const down = ctl(E, ['status'], { json: false });
  assert.equal(down.code, 3, down.stdout + down.stderr);
  assert.match(down.stderr, /electricd is not running/);
});

scenario('a daemon of another protocol version: exit 4', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctl-version-'));
  onCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'run'));
  const srv = net.createServer((c) => {
    c.on('error', () => {});
    c.resume();		// read (and drop) electricctl's HELLO, so that its EOF is seen
    c.end(frame(MSG_HELLO, 0, Buffer.concat([u32(2), str('root')])));
  });
  await new Promise((r) => srv.listen(path.join(dir, 'run', 'control.sock'), r));
  onCleanup(() => new Promise((r) => srv.close(r)));
  for (const cmd of ['status', 'stop', 'top']) {
    // not ctl(): spawnSync would block the fake daemon in this process
    const r = await exitWithin(spawnCtl(dir, [cmd]), 10_000, cmd);
    assert.equal(r.code, 4, `${cmd}: ${r.code} ${r.stderr}`);
    assert.match(r.stderr, /protocol version mismatch: electricd speaks frame protocol 2, electricctl \S+ speaks 1/);
  }
});

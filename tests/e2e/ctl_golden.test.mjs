// ctl_golden: electricctl's output, byte for byte, against golden files
// (tests/e2e/golden/).  A known state: items (2 rows) and t2 (1 row), a
// shape on each (items first), one insert into items after the snapshot,
// and one SIGKILL of the items consumer (so RESTARTS and LAST-EXIT have
// something to show).  Then status, shapes and shape <handle>, each with
// and without --json, are compared with the golden files after masking
// what differs between runs: pids, uptimes, times, handles (<H1> is the
// items shape, <H2> the t2 one), LSNs in offsets, xids, relids, the
// version, and byte counts (they hold LSNs and xids, whose length varies).
//
// Tables are checked twice: the real output must follow ctl_fmt.c's layout
// (columns two spaces apart, widths from the content, numbers
// right-aligned, no trailing blanks), checked by rendering the parsed
// cells again and comparing; the golden file holds the masked cells
// rendered by the same rule.  JSON output is masked as text, so its
// formatting (indent, key order) is compared too.
//
// Then shapes --table/--state/--sort (order and filter checked on the
// JSON, one filtered table against shapes_t2.txt, bad options exit 2) and
// shape's waiting_clients with a live long-poll and an SSE stream parked.
//
// UPDATE_GOLDEN=1 rewrites the golden files from this run (review the diff).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  cleanup, createDatabase, createItems, ctl, scenario, shapeGet, startElectricd, waitFor,
} from './lib.mjs';

after(cleanup);

const GOLDEN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

/* A table as ctl_fmt.c prints it: align is 'l'/'r' per column. */
function renderTable(rows, align) {
  const w = align.split('').map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => {
    if (align[i] === 'r') return c.padStart(w[i]);
    return i + 1 < r.length ? c.padEnd(w[i]) : c;
  }).join('  ')).join('\n') + '\n';
}

/* Parses a table (header first), checks its layout, masks the cells with
 * mask(columnName, cell) and renders it again. */
function maskTable(text, align, mask) {
  const lines = text.replace(/\n$/, '').split('\n');
  const rows = lines.map((l) => l.trim().split(/ {2,}/));
  const head = rows[0];
  assert.equal(head.length, align.length, `columns: ${lines[0]}`);
  for (const r of rows) assert.equal(r.length, head.length, `row has ${head.length} cells: ${JSON.stringify(r)}`);
  assert.equal(renderTable(rows, align), text, 'table layout (ctl_fmt.c rules)');
  return renderTable([head, ...rows.slice(1).map((r) => r.map((c, i) => mask(head[i], c)))], align);
}

function golden(name, actual) {
  const file = path.join(GOLDEN, name);
  if (UPDATE) {
    fs.mkdirSync(GOLDEN, { recursive: true });
    fs.writeFileSync(file, actual);
    return;
  }
  assert.ok(fs.existsSync(file), `golden file ${file} (run with UPDATE_GOLDEN=1 to create it)`);
  assert.equal(actual, fs.readFileSync(file, 'utf8'), `${name} differs from the golden file`);
}

scenario('electricctl status, shapes, shape: text and JSON against golden files', async () => {
  const db = await createDatabase('golden');
  await createItems(db);
  await db.sql('CREATE TABLE t2 (id int PRIMARY KEY, v text)');
  await db.sql("INSERT INTO t2 VALUES (1, 'one')");
  const E = await startElectricd({ databaseUrl: db.url });

  const handles = [];
  for (const table of ['items', 't2']) {
    const r = await shapeGet(E, { table, offset: '-1' });
    assert.equal(r.status, 200, r.text);
    handles.push(r.headers['electric-handle']);
  }
  const [h1, h2] = handles;
  const ready = () => {
    const s = ctl(E, ['status']).json;
    return s?.health === 'active' && s.processes.every((p) => p.state === 'ready') &&
      handles.every((h) => s.processes.some((p) => p.id === h)) ? s : null;
  };
  let st = await waitFor('both consumers ready', ready);
  await db.sql("INSERT INTO items VALUES (3, 'third', null)");
  await waitFor('the insert in the items log', () => ctl(E, ['shape', h1]).json?.log_entries === 1);
  // One SIGKILL of the items consumer, then everything ready again.
  const victim = st.processes.find((p) => p.id === h1).pid;
  process.kill(victim, 'SIGKILL');
  st = await waitFor('the items consumer back', () => {
    const s = ready();
    return s && s.processes.find((p) => p.id === h1).pid !== victim ? s : null;
  }, 15_000);
  const pids = new Set([st.pid, ...st.processes.map((p) => p.pid)].map(String));

  const maskHandles = (s) => s.split(h1).join('<H1>').split(h2).join('<H2>');
  const maskOffset = (s) => s.replace(/\b[1-9]\d*_(\d+)\b/g, '<LSN>_$1');

  // ---- status
  let r = ctl(E, ['status'], { json: false });
  assert.equal(r.code, 0, `${r.cmd}: ${r.stderr}`);
  assert.equal(r.stderr, '');
  const lines = r.stdout.split('\n');
  const first = lines[0].replace(/^electricd \S+  pid (\d+)  health (\w+)  uptime \S+$/,
    (m, pid, health) => {
      assert.equal(pid, String(E.pid));
      return `electricd <VERSION>  pid <PID>  health ${health}  uptime <UP>`;
    });
  const details = lines.findIndex((l, i) => i > 0 && /^\S+: /.test(l));
  const tableText = lines.slice(1, details < 0 ? -1 : details).join('\n') + '\n';
  const table = maskTable(tableText, 'llrlrrl', (col, c) => {
    if (col === 'PID') {
      assert.ok(pids.has(c), `PID ${c} is a pid of status --json`);
      return '<PID>';
    }
    if (col === 'UPTIME') return '<UP>';
    return maskHandles(c);
  });
  golden('status.txt', `${first}\n${table}${maskHandles(lines.slice(details).join('\n'))}`);

  r = ctl(E, ['status']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.json, r.stdout);
  golden('status.json', maskHandles(r.stdout)
    .replace(/("version": )"[^"]*"/g, '$1"<VERSION>"')
    .replace(/("(?:pid|uptime_s)": )\d+/g, '$1<N>')
    .replace(/("at": )"[^"]*"/g, '$1"<TIME>"'));

  // ---- shapes
  r = ctl(E, ['shapes'], { json: false });
  assert.equal(r.code, 0, r.stderr);
  const maskShapes = (text) => maskTable(text, 'llllrrlr', (col, c) => {
    if (col === 'PID') {
      assert.ok(pids.has(c), `PID ${c}`);
      return '<PID>';
    }
    if (col === 'SIZE') return '<SIZE>';
    if (col === 'LAST-CHANGE' && c !== '-') {
      assert.match(c, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      return '<TIME>';
    }
    return maskOffset(maskHandles(c));
  });
  const maskShapesJson = (text) => maskOffset(maskHandles(text))
    .replace(/("consumer_pid": )\d+/g, '$1<PID>')
    .replace(/("disk_bytes": )\d+/g, '$1<N>')
    .replace(/("last_change": )"[^"]*"/g, '$1"<TIME>"');
  r = ctl(E, ['shapes'], { json: false });
  assert.equal(r.code, 0, r.stderr);
  golden('shapes.txt', maskShapes(r.stdout));
  r = ctl(E, ['shapes']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.json, r.stdout);
  golden('shapes.json', maskShapesJson(r.stdout));

  // ---- shape <handle>, both shapes
  for (const [n, h] of [[1, h1], [2, h2]]) {
    r = ctl(E, ['shape', h], { json: false });
    assert.equal(r.code, 0, r.stderr);
    golden(`shape${n}.txt`, maskOffset(maskHandles(r.stdout))
      .replace(/^(created +)\S+$/m, '$1<TIME>')
      .replace(/^(snapshot xmin +)\d+$/m, '$1<XID>')
      .replace(/^(snapshot +\d+ chunks?, \w+, )\S+$/m, '$1<SIZE>')
      .replace(/^(log +\d+ entr\S+, \d+ closed chunks?, )\S+$/m, '$1<SIZE>')
      .replace(/^(disk +)\S+ \(\d+ bytes\)$/m, '$1<SIZE> (<N> bytes)')
      .replace(/^(consumer +pid )\d+(, .*, up )\S+$/m, '$1<PID>$2<UP>'));
    r = ctl(E, ['shape', h]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.json, r.stdout);
    golden(`shape${n}.json`, maskOffset(maskHandles(r.stdout))
      .replace(/("(?:relid|snapshot_xmin|snapshot_bytes|consumer_pid|consumer_uptime_s|log_bytes|disk_bytes)": )\d+/g, '$1<N>')
      .replace(/("created": )"[^"]*"/g, '$1"<TIME>"'));
  }

  // ---- shapes --table / --state / --sort
  const listed = (...args) => {
    const x = ctl(E, ['shapes', ...args]);
    assert.equal(x.code, 0, `${x.cmd}: ${x.stderr}`);
    return x.json.shapes.map((s) => maskHandles(s.handle));
  };
  for (const t of ['items', 'public.items', '"public"."items"']) {
    assert.deepEqual(listed('--table', t), ['<H1>'], `--table ${t}`);
  }
  assert.deepEqual(listed('--table=t2'), ['<H2>']);
  assert.deepEqual(listed('--table', 'nosuch'), []);
  assert.deepEqual(listed('--table', 'other.items'), []);
  assert.deepEqual(listed('--state', 'active'), ['<H2>', '<H1>'], 'default order: newest first');
  assert.deepEqual(listed('--state', 'suspended'), []);
  assert.deepEqual(listed('--sort', 'handle'), [h1, h2].sort().map(maskHandles));
  assert.deepEqual(listed('--sort', 'size'), ['<H1>', '<H2>'], 'items holds more');
  assert.deepEqual(listed('--sort', 'activity'), ['<H1>', '<H2>'], 'only items changed');
  await new Promise((res) => setTimeout(res, 1100));	// log mtimes have 1 s steps
  await db.sql("INSERT INTO t2 VALUES (2, 'two')");
  await waitFor('the insert in the t2 log', () => ctl(E, ['shape', h2]).json?.log_entries === 1);
  assert.deepEqual(listed('--sort', 'activity'), ['<H2>', '<H1>'], 't2 changed last');
  r = ctl(E, ['shapes', '--table', 't2', '--state', 'active'], { json: false });
  assert.equal(r.code, 0, r.stderr);
  golden('shapes_t2.txt', maskShapes(r.stdout));
  r = ctl(E, ['shapes', '--table', 'nosuch'], { json: false });
  assert.equal(r.stdout, 'no shapes\n');
  for (const [args, msg] of [[['--sort', 'bogus'], /unknown sort "bogus"/],
    [['--state', 'gone'], /unknown state "gone"/], [['--sort'], /--sort needs a value/]]) {
    r = ctl(E, ['shapes', ...args], { json: false });
    assert.equal(r.code, 2, `${args}: ${r.stderr}`);
    assert.match(r.stderr, msg);
    assert.equal(r.stdout, '');
  }
  r = ctl(E, ['status', '--table', 'items'], { json: false });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /status takes no --table/);

  // ---- shape <handle>: the requests waiting on it
  assert.equal(ctl(E, ['shape', h1]).json.waiting_clients, 0);
  const latest = ctl(E, ['shape', h1]).json.latest_offset;
  const ctrl = new AbortController();
  const qs = (extra) => new URLSearchParams({ table: 'items', handle: h1, offset: latest,
    live: 'true', ...extra }).toString();
  const pending = [
    fetch(`${E.url}/v1/shape?${qs({})}`, { signal: ctrl.signal }).catch(() => null),
    fetch(`${E.url}/v1/shape?${qs({ live_sse: 'true' })}`, { signal: ctrl.signal })
      .then((res) => res.body?.getReader().read()).catch(() => null),
  ];
  await waitFor('two waiting clients', () => ctl(E, ['shape', h1]).json?.waiting_clients === 2);
  r = ctl(E, ['shape', h1], { json: false });
  assert.match(r.stdout, /^waiting +2 requests$/m);
  assert.equal(ctl(E, ['shape', h2]).json.waiting_clients, 0, 'none on t2');
  ctrl.abort();
  await Promise.all(pending);
  await waitFor('no waiting clients', () => ctl(E, ['shape', h1]).json?.waiting_clients === 0);
});

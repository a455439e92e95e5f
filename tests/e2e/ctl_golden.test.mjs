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
  golden('shapes.txt', maskTable(r.stdout, 'llllr', (col, c) => {
    if (col === 'PID') {
      assert.ok(pids.has(c), `PID ${c}`);
      return '<PID>';
    }
    return maskOffset(maskHandles(c));
  }));
  r = ctl(E, ['shapes']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.json, r.stdout);
  golden('shapes.json', maskOffset(maskHandles(r.stdout)).replace(/("consumer_pid": )\d+/g, '$1<PID>'));

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
});

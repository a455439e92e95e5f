// shapeclone.mjs: copies of a registered shape "id = 1" (over a table
// items) as shapes "id = k", written straight into a stopped electricd's
// storage: meta.db rows (through the sqlite3 command) and shape files.
// Registering thousands of shapes for real costs a consumer process and
// a snapshot each; restart and serving tests (tests/e2e/scale_restart) and
// bench/shapes_scale.mjs only need them on disk.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const haveSqlite = () => spawnSync('sqlite3', ['-version']).status === 0;

/* Runs SQL on a SQLite file; returns its output.  Throws on failure. */
export function sqlite(db, text) {
  const r = spawnSync('sqlite3', [db], { input: text, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`sqlite3: ${r.stderr}`);
  return r.stdout;
}

/* A file of the shape "id = 1" for the shape "id = k": the row in
 * snapshot.0, and its size where snapshot.done lists the chunk sizes. */
function cloneFile(files, f, text, k) {
  const snap = (t) => t.replace('/\\"1\\""', `/\\"${k}\\""`)
    .replace('"id":"1","title":"v1"', `"id":"${k}","title":"v${k}"`);
  if (f === 'snapshot.0') return snap(text);
  if (f !== 'snapshot.done') return text;
  const s0 = files.find(([n]) => n === 'snapshot.0')[1];
  const lines = text.split('\n');
  if (lines.length > 2 && Number(lines[1]) === Buffer.byteLength(s0)) {
    lines[1] = String(Buffer.byteLength(snap(s0)));
  }
  return lines.join('\n');
}

/* Clones "id = 1" as k = from..to (suspended, created after every real
 * shape).  Returns [{ k, handle }].  Throws if there is no template. */
export function cloneShapes(storageDir, from, to) {
  const meta = path.join(storageDir, 'meta.db');
  const tpl = sqlite(meta, "SELECT handle FROM shapes WHERE where_text = 'id = 1';").trim();
  if (!tpl) throw new Error('the shape id = 1 is not in meta.db');
  sqlite(meta, `BEGIN;
WITH RECURSIVE g(k) AS (SELECT ${from} UNION ALL SELECT k + 1 FROM g WHERE k < ${to})
INSERT INTO shapes (handle, hash, schema_name, table_name, relid, columns, electric_schema,
  definition, state, snapshot_xmin, snapshot_started, latest_tx, latest_op, created_us,
  log_mode, where_text, params, replica)
SELECT printf('%d-%d', (k * 2654435761) % 134217727, 1800000000000000 + k), hash, schema_name,
  table_name, relid, columns, electric_schema,
  replace(definition, '''1''::int4)', '''' || k || '''::int4)'), 'suspended', snapshot_xmin,
  snapshot_started, latest_tx, latest_op, 1800000000000000 + k, log_mode, 'id = ' || k,
  params, replica
FROM shapes, g WHERE handle = '${tpl}';
COMMIT;`);
  const dir = path.join(storageDir, 'shapes');
  const files = fs.readdirSync(path.join(dir, tpl)).map((f) =>
    [f, fs.readFileSync(path.join(dir, tpl, f), 'utf8')]);
  const out = [];
  for (const line of sqlite(meta, `SELECT handle, substr(where_text, 6) FROM shapes
      WHERE created_us > 1800000000000000
      AND CAST(substr(where_text, 6) AS INTEGER) >= ${from};`).trim().split('\n')) {
    const [h, k] = line.split('|');
    fs.mkdirSync(path.join(dir, h), { mode: 0o700 });
    for (const [f, text] of files) {
      fs.writeFileSync(path.join(dir, h, f), cloneFile(files, f, text, k), { mode: 0o600 });
    }
    out.push({ k: Number(k), handle: h });
  }
  return out;
}

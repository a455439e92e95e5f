// s8_restart: issue 7 scenario 8, restart with 10,000 shapes on disk (run
// by bench/run.mjs; `node bench/s8_restart.mjs --size smoke|full`).  A
// thin wrapper in the JSON-lines format around bench/shapes_scale.mjs,
// which does the measuring (see its header):
//   smoke: shapes_scale.mjs registers 5 shapes over HTTP, lets their
//          consumers suspend, restarts electricd and times it;
//   full:  it registers 200 shapes (10,000 rows in items), grows the
//          stopped storage to 10,000 suspended shapes with --clone
//          (registering 10k over HTTP takes far longer here) and times a
//          --restart on it.
// The figure is the time from exec to every sampled shape (200 spread
// over all) answered 200 with its old handle (target <= 1 s); health
// "active", the first shape served and re-snapshotted shapes ride along.
import fs from 'node:fs';
import path from 'node:path';

import { emit, freePort, main, ROOT, run, say, startPostgres, TMP } from './lib.mjs';

const SCRIPT = path.join(ROOT, 'bench/shapes_scale.mjs');

function scale(args, env = {}) {
  say(`shapes_scale.mjs ${args.join(' ')}`);
  const r = run(process.execPath, [SCRIPT, ...args], { env: { ...process.env, ...env } });
  process.stderr.write(r.stdout);
  if (r.status !== 0) throw new Error(`shapes_scale.mjs failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/* The figures of the last restart in shapes_scale.mjs's output. */
function parse(out) {
  const num = (re) => {
    const all = [...out.matchAll(re)];
    if (all.length === 0) throw new Error(`shapes_scale.mjs printed no ${re}`);
    return all[all.length - 1].slice(1).map(Number);
  };
  const [activeMs, firstMs] = num(/restart: health active after (\d+) ms, first shape served after (\d+) ms/g);
  const [sampled, , allS, bad] = num(/restart: (\d+) sampled shapes served in ([\d.]+) s \(after ([\d.]+) s\), (\d+) not 200/g);
  const [resnap] = num(/restart: (\d+) of \d+ sampled shapes re-snapshotted/g);
  return { activeMs, firstMs, sampled, allMs: allS * 1000, bad, resnap };
}

main(async ({ size }) => {
  const pgc = await startPostgres('s8');
  const port = await freePort();
  const storage = fs.mkdtempSync(path.join(TMP, 'bench-s8-'));
  const logf = `${storage}.log`;
  try {
    let out, shapes;
    if (size === 'smoke') {
      shapes = 5;
      out = scale([pgc.url, String(port), storage, String(shapes)]);
    } else {
      shapes = 10_000;
      scale([pgc.url, String(port), storage, '200'], { SCALE_ROWS: String(shapes) });
      scale(['--clone', pgc.url, String(port), storage, String(shapes)]);
      out = scale(['--restart', pgc.url, String(port), storage]);
    }
    const f = parse(out);
    emit({ scenario: 8, name: `restart with ${shapes} shapes on disk`, metric: 'ms to all served',
      baseline: null, baseline_value: null, value: f.allMs, target: '<= 1000 ms',
      pass: f.allMs <= 1000 && f.bad === 0, size, active_ms: f.activeMs, first_shape_ms: f.firstMs,
      sampled: f.sampled, not_served: f.bad, resnapshotted: f.resnap });
  } finally {
    if (!process.env.BENCH_KEEP) {
      fs.rmSync(storage, { recursive: true, force: true });
      fs.rmSync(logf, { force: true });
    }
  }
});

// pg_down: electricd pointed at a port where no Postgres listens.  The
// HTTP side comes up anyway and reports 202 {"status":"starting"}; the
// processes that need Postgres retry with backoff instead of crash-looping
// (the root stays up, restarts are bounded); stderr says why; shape
// requests get a 503 with retry-after; SIGTERM still stops everything.

import assert from 'node:assert/strict';
import { after } from 'node:test';
import {
  cleanup, descendantsOf, freePort, httpGet, procRole, scenario, shapeGet, sleep,
  startElectricd,
} from './lib.mjs';

after(cleanup);

scenario('no Postgres: starting, no crash loop, clear message', async () => {
  const port = await freePort();	// nothing listens here
  const E = await startElectricd({
    databaseUrl: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    wait: 'http',
  });

  // Sample health and the process tree for 8 s.
  const seen = new Map();		// pid -> role
  const statuses = new Set();
  const t0 = Date.now();
  while (Date.now() - t0 < 8000) {
    assert.equal(E.proc.exitCode, null, `root exited: ${E.logTail(20)}`);
    assert.equal(E.proc.signalCode, null, 'root killed');
    const r = await httpGet(E, '/v1/health');
    statuses.add(`${r.status} ${r.text}`);
    for (const p of descendantsOf(E.pid).map(procRole)) {
      if (p.role) seen.set(p.pid, p.role);
    }
    await sleep(200);
  }
  assert.deepEqual([...statuses], ['202 {"status":"starting"}'], 'health while Postgres is down');

  // Bounded restarts: with a 1 s doubling backoff at most a handful of
  // incarnations per role fit in 8 s (a crash loop would show dozens).
  const perRole = {};
  for (const role of seen.values()) perRole[role] = (perRole[role] || 0) + 1;
  for (const [role, n] of Object.entries(perRole)) {
    assert.ok(n <= 5, `${role} had ${n} processes in 8 s: ${JSON.stringify(perRole)}`);
  }
  assert.ok(perRole.http >= 1, `http runs: ${JSON.stringify(perRole)}`);
  assert.equal(perRole.http, 1, 'http is not restarted because Postgres is down');

  // The log says why.
  assert.match(E.log(), /refused|could not connect|connection to server/i,
    'stderr names the connection failure');

  // A shape request is answered 503 with retry-after (not a hang, not 400).
  const s = await shapeGet(E, { table: 'items', offset: '-1' }, { timeout: 15_000 });
  assert.equal(s.status, 503, s.text);
  assert.match(s.headers['retry-after'] ?? '', /^\d+$/);
  assert.equal(s.headers['cache-control'], 'no-store');
  assert.ok(typeof s.body?.message === 'string' || typeof s.body?.error === 'string',
    `JSON error body: ${s.text}`);

  const st = await E.stop(5000);
  assert.ok(st.code === 0 || st.signal === 'SIGTERM', JSON.stringify(st));
});

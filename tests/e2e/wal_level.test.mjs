// wal_level: a cluster with wal_level = replica cannot feed electricd.
// The HTTP side stays up with 202 {"status":"starting"}, `electricctl
// status` shows connmgr's error with the fix ("set wal_level = logical
// ... and restart Postgres"), nothing crash-loops (connmgr retries on its
// own connection every 10 s without exiting), and once the operator fixes
// the setting electricd becomes active by itself.

import assert from 'node:assert/strict';
import { after } from 'node:test';
import {
  cleanup, ctl, descendantsOf, httpGet, procRole, readToEnd, scenario, sleep,
  startElectricd, waitFor,
} from './lib.mjs';
import { startCluster } from './pgcluster.mjs';

after(cleanup);

scenario('wal_level = replica: a clear error, no crash loop, recovers once fixed', async () => {
  const C = await startCluster('replica');
  await C.setWalLevel('replica');
  assert.deepEqual(await C.sql('SHOW wal_level'), [{ wal_level: 'replica' }]);
  await C.sql('CREATE TABLE items (id int PRIMARY KEY)');
  await C.sql('INSERT INTO items VALUES (1)');
  const E = await startElectricd({ databaseUrl: C.url, wait: 'http' });

  const seen = new Map();
  let detail;
  const t0 = Date.now();
  while (Date.now() - t0 < 6000) {
    const r = await httpGet(E, '/v1/health');
    assert.equal(`${r.status} ${r.text}`, '202 {"status":"starting"}');
    for (const p of descendantsOf(E.pid).map(procRole)) if (p.role) seen.set(p.pid, p.role);
    const st = ctl(E, ['status']);
    detail = st.json?.processes?.find((p) => p.role === 'connmgr')?.detail ?? detail;
    await sleep(300);
  }
  assert.match(detail ?? '', /^error: wal_level is replica; set wal_level = logical in postgresql.conf and restart Postgres/,
    `electricctl status shows the error: ${detail}`);
  assert.match(E.log(), /wal_level is replica; set wal_level = logical/);
  const st = ctl(E, ['status']);
  const cm = st.json.processes.find((p) => p.role === 'connmgr');
  assert.equal(cm.restarts, 0, `connmgr is not restarted: ${JSON.stringify(cm)}`);
  assert.equal([...seen.values()].filter((r) => r === 'connmgr').length, 1, 'one connmgr process');
  assert.ok(![...seen.values()].includes('replication'), 'nothing after connmgr starts');
  assert.equal(st.json.health, 'starting');

  // The operator fixes it; connmgr's next attempt (<= 10 s) succeeds.
  await C.setWalLevel('logical');
  await waitFor('electricd active', async () =>
    (await httpGet(E, '/v1/health')).status === 200, 20_000, 200);
  const s = await readToEnd(E, { table: 'items' });
  assert.equal(s.messages.filter((m) => m.key).length, 1);
  await E.stop();
});

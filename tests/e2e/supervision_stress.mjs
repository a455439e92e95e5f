// supervision_stress (make chaos; not part of make check): the kill
// sequence of supervision.test.mjs in rounds.  One electricd with three
// shapes, a live client following each while a writer inserts a row into
// every table every 40 ms; each round SIGKILLs http, connmgr, replication,
// the collector, shapecache and two consumers, one after the other, each
// once everything is ready again.  After every round every client must
// hold every row written so far, exactly once and in order, with no
// error.  This is the loop that found a consumer coming back while the
// old stream still flowed losing the transactions it had missed
// (docs/internals.md, "Processes").  STRESS_ROUNDS=N (default 5).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after } from 'node:test';
import {
  cleanup, createDatabase, ctl, follow, rowWriter, scenario, shapeGet, sleep, startElectricd,
  waitFor,
} from './lib.mjs';

after(cleanup);

const TABLES = ['ta', 'tb', 'tc'];
const ROUNDS = Number(process.env.STRESS_ROUNDS || 5);

/* id -> process of electricctl status. */
function procs(E) {
  const r = ctl(E, ['status']);
  assert.equal(r.code, 0, `${r.cmd}: ${r.stderr}${r.stdout}`);
  return { health: r.json.health, procs: Object.fromEntries(r.json.processes.map((p) => [p.id, p])) };
}

scenario(`supervision stress: ${ROUNDS} rounds of 7 SIGKILLs, every row once, in order`,
  { timeout: ROUNDS * 120_000 }, async () => {
    const db = await createDatabase('stress');
    for (const t of TABLES) await db.sql(`CREATE TABLE ${t} (id int PRIMARY KEY, v text)`);
    const E = await startElectricd({ databaseUrl: db.url, env: { ELECTRIC_LONG_POLL_TIMEOUT: '2000' } });
    const followers = {};
    const handles = [];
    for (const t of TABLES) {
      const r = await shapeGet(E, { table: t, offset: '-1' });
      assert.equal(r.status, 200, r.text);
      handles.push(r.headers['electric-handle']);
      followers[t] = follow(E, { table: t, handle: r.headers['electric-handle'], offset: r.headers['electric-offset'] });
    }
    await waitFor('three live clients', () => Object.values(followers).every((f) => f.upToDate), 10_000);

    const writer = rowWriter(db, TABLES);

    for (let round = 0; round < ROUNDS; round++) {
      for (const victim of ['http', 'connmgr', 'replication', 'collector', 'shapecache', handles[0], handles[1]]) {
        await sleep(300);
        const pid = procs(E).procs[victim].pid;
        fs.appendFileSync(E.logPath, `===== stress round ${round}: SIGKILL ${victim} (pid ${pid}), ${writer.written} rows written\n`);
        process.kill(pid, 'SIGKILL');
        await waitFor(`round ${round}: all ready after SIGKILL of ${victim}`, () => {
          const s = procs(E);
          return s.health === 'active' && Object.values(s.procs).every((p) => p.state === 'ready' && p.pid) &&
            s.procs[victim].pid !== pid;
        }, 30_000, 100);
      }
      const w = writer.written;
      for (const t of TABLES) {
        const f = followers[t];
        await waitFor(`round ${round}: client of ${t} holds ${w} rows`, () => f.changes.length >= w, 20_000)
          .catch((err) => { err.message += ` (has ${f.changes.length}; errors ${f.errors})`; throw err; });
        const ids = f.changes.map((m) => Number(m.value.id));
        for (let i = 0; i < ids.length; i++) assert.equal(ids[i], i + 1, `${t}: row ${i + 1} at ${i}`);
        assert.deepEqual(f.errors, [], `client of ${t}: no error or 409`);
      }
    }
    await writer.stop();
  });

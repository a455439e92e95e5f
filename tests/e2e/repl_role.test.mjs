// repl_role: electricd connecting as a role without the REPLICATION
// attribute reports why and how to fix it (`electricctl status`, the log),
// keeps HTTP up with 202 {"status":"starting"} and does not crash-loop;
// ALTER ROLE ... REPLICATION makes it active by itself.  Then a shape on
// a table the role does not own (PROTOCOL.md §12.1: publishing needs
// ownership) fails with a 503 whose message says what to do.

import assert from 'node:assert/strict';
import { after } from 'node:test';
import {
  cleanup, createDatabase, createItems, ctl, httpGet, onCleanup, scenario, shapeGet, sleep,
  sql, startElectricd, waitFor,
} from './lib.mjs';

after(cleanup);

scenario('role without REPLICATION, then a table it does not own', async () => {
  const role = `e2e_norepl_${process.pid}`;
  const admin = process.env.TEST_DATABASE_URL;
  await sql(admin, `CREATE ROLE ${role} LOGIN`);
  onCleanup(() => sql(admin, `DROP ROLE IF EXISTS ${role}`));
  const db = await createDatabase('norepl');
  await createItems(db);
  await db.sql(`GRANT CREATE ON DATABASE ${db.name} TO ${role}`);
  await db.sql(`GRANT SELECT ON items TO ${role}`);
  const u = new URL(db.url);
  u.username = role;
  const E = await startElectricd({ databaseUrl: u.toString(), wait: 'http' });

  const want = `error: role ${role} may not replicate; run ALTER ROLE ${role} WITH REPLICATION`;
  await waitFor('connmgr to report the missing privilege', () =>
    (ctl(E, ['status']).json?.processes?.find((p) => p.role === 'connmgr')?.detail ?? '')
      .startsWith(want), 10_000, 200);
  await sleep(2000);
  const st = ctl(E, ['status']);
  const cm = st.json.processes.find((p) => p.role === 'connmgr');
  assert.equal(cm.restarts, 0, `no crash loop: ${JSON.stringify(cm)}`);
  assert.equal(st.json.health, 'starting');
  const h = await httpGet(E, '/v1/health');
  assert.equal(`${h.status} ${h.text}`, '202 {"status":"starting"}');
  assert.match(E.log(), new RegExp(`ALTER ROLE ${role} WITH REPLICATION`));

  await db.sql(`ALTER ROLE ${role} REPLICATION`);
  await waitFor('electricd active', async () =>
    (await httpGet(E, '/v1/health')).status === 200, 20_000, 200);

  // items belongs to postgres: the role cannot add it to the publication.
  const r = await shapeGet(E, { table: 'items', offset: '-1' });
  assert.equal(r.status, 503, r.text);
  assert.match(r.headers['retry-after'] ?? '', /^\d+$/);
  assert.equal(r.body?.message, `Cannot publish table "public"."items": the database role ${role} ` +
    `does not own it. Make the role its owner (ALTER TABLE "public"."items" OWNER TO ${role}), ` +
    `or let the owner run ALTER PUBLICATION "electric_publication_${E.env.ELECTRIC_REPLICATION_STREAM_ID}" ` +
    'ADD TABLE "public"."items" and ALTER TABLE "public"."items" REPLICA IDENTITY FULL',
  'the message says how to fix it');

  // Done as the message says: the shape is created.
  await db.sql(`ALTER TABLE items OWNER TO ${role}`);
  const ok = await shapeGet(E, { table: 'items', offset: '-1' });
  assert.equal(ok.status, 200, ok.text);
  await E.stop();
});

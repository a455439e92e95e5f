// process_tree: the OS process tree of ARCHITECTURE.md §1.  After start the
// root has one child per role (connmgr, replication, collector, shapecache,
// http), seen in /proc/<pid>/cmdline as "--role ROLE"; a shape request adds
// one consumer ("--role consumer --shape HANDLE").  No child outlives the
// root, even after SIGKILL; SIGTERM stops everything within 5 s.

import assert from 'node:assert/strict';
import { after } from 'node:test';
import {
  alive, childrenOf, cleanup, createDatabase, createItems, procRole, scenario,
  shapeGet, startElectricd, waitFor,
} from './lib.mjs';

const ROLES = ['collector', 'connmgr', 'http', 'replication', 'shapecache'];

after(cleanup);

function rolesOf(pids) {
  return pids.map(procRole).filter((p) => p.role !== null);
}

scenario('process tree, SIGKILL of the root, SIGTERM', async () => {
  const db = await createDatabase('ptree');
  await createItems(db);
  const E = await startElectricd({ databaseUrl: db.url });

  // One child per role, each a direct child of the root; no consumer yet.
  let kids = rolesOf(childrenOf(E.pid));
  assert.deepEqual(kids.map((p) => p.role).sort(), ROLES,
    `children of the root: ${JSON.stringify(kids)}`);
  for (const p of kids) E.knownPids.add(p.pid);

  // A shape request starts exactly one consumer for that handle.
  const r = await shapeGet(E, { table: 'items', offset: '-1' });
  assert.equal(r.status, 200, r.text);
  const handle = r.headers['electric-handle'];
  kids = await waitFor('a consumer child', () => {
    const k = rolesOf(childrenOf(E.pid));
    return k.some((p) => p.role === 'consumer') ? k : null;
  }, 5000);
  const consumers = kids.filter((p) => p.role === 'consumer');
  assert.equal(consumers.length, 1, JSON.stringify(kids));
  assert.equal(consumers[0].shape, handle, 'consumer --shape is the handle');
  assert.deepEqual(kids.filter((p) => p.role !== 'consumer').map((p) => p.role).sort(), ROLES);

  // SIGKILL of the root: every child is gone within ~3 s.
  const tree = E.tree();
  assert.ok(tree.length >= 6, JSON.stringify(tree));
  E.kill('SIGKILL');
  await E.exited;
  await waitFor('every child to die after SIGKILL of the root',
    () => tree.every((p) => !alive(p.pid)), 3500, 50).catch((err) => {
    err.message += `; alive: ${JSON.stringify(tree.filter((p) => alive(p.pid)))}`;
    throw err;
  });

  // Fresh start on the same storage: the consumer of the stored shape is
  // started again; then SIGTERM stops every process within 5 s.
  await E.restart();
  kids = await waitFor('all roles and the consumer after the restart', () => {
    const k = rolesOf(childrenOf(E.pid));
    const roles = k.map((p) => p.role).sort();
    return roles.join() === [...ROLES, 'consumer'].sort().join() ? k : null;
  }, 10_000);
  assert.equal(kids.find((p) => p.role === 'consumer').shape, handle);
  const res = await E.stop(5000);
  assert.ok(res.ms <= 5000, `stopped in ${res.ms} ms`);
  assert.ok(res.code === 0 || res.signal === 'SIGTERM', `root exit: ${JSON.stringify(res)}`);
});

// pgcluster.mjs: a private Postgres cluster for the e2e tests that need
// one of their own (another system identifier, another wal_level), made
// with scripts/pg.sh on a free port under TEST_TMPDIR and stopped and
// removed at cleanup.  The shared cluster of check.sh stays untouched.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { freePort, onCleanup, ROOT, TMP } from './lib.mjs';

const PG_SH = path.join(ROOT, 'scripts/pg.sh');

/* One statement on a connection of its own: the cluster restarts under
 * the tests, which would leave a pool with dead connections. */
async function sql(url, text, params) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text, params)).rows;
  } finally {
    await c.end();
  }
}

function pgsh(...args) {
  const r = spawnSync(PG_SH, args, { encoding: 'utf8', timeout: 90_000 });
  if (r.status !== 0) throw new Error(`pg.sh ${args.join(' ')}: ${r.stderr || r.error}`);
}

/* as_pg CMD...: a server command as the clusters' owner (pg.sh's rule). */
function asPg(cmd, args) {
  const argv = process.getuid() === 0 ? ['-u', 'postgres', '--', cmd, ...args] : args;
  const r = spawnSync(process.getuid() === 0 ? 'runuser' : cmd, argv,
    { encoding: 'utf8', timeout: 90_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.error}`);
  return r.stdout;
}

function pgBin(name) {
  const dirs = fs.readdirSync('/usr/lib/postgresql').sort((a, b) => Number(a) - Number(b));
  return `/usr/lib/postgresql/${dirs[dirs.length - 1]}/bin/${name}`;
}

/* Starts a new cluster; port: a given one (to reuse another cluster's
 * URL) or a free one.  Returns { dir, port, url, sql(text, params),
 * stop(mode) (pg_ctl -m mode: 'fast' by default, 'immediate' is a crash),
 * start(), log() (the server log), setWalLevel(level) (ALTER SYSTEM +
 * restart) }. */
export async function startCluster(label, port) {
  const dir = newDir(label);
  port = port || await freePort();
  return runCluster(dir, port);
}

function newDir(label) {
  const dir = fs.mkdtempSync(path.join(TMP, `pg-${label}-`));
  fs.chmodSync(dir, 0o755);
  return dir;
}

/* A copy of cluster `from` made with pg_basebackup (same system
 * identifier); `from` is stopped and the copy started on its port as a
 * standby, then promoted: its timeline is the next one. */
export async function promotedCopy(from, label) {
  const dir = newDir(label);
  fs.chownSync(dir, ...pgOwner());
  asPg(pgBin('pg_basebackup'), ['-h', '127.0.0.1', '-p', String(from.port), '-U', 'postgres',
    '-D', path.join(dir, 'data'), '-R', '-X', 'stream', '--no-sync']);
  from.stop();
  const c = runCluster(dir, from.port);
  asPg(pgBin('pg_ctl'), ['-D', path.join(dir, 'data'), '-w', 'promote']);
  return c;
}

function pgOwner() {
  if (process.getuid() !== 0) return [process.getuid(), process.getgid()];
  const line = fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
  const f = line.split(':');
  return [Number(f[2]), Number(f[3])];
}

function runCluster(dir, port) {
  const c = {
    dir,
    port,
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    sql: (text, params) => sql(c.url, text, params),
    start: () => pgsh('start', dir, String(port), '--fast'),
    stop: (mode) => {
      if (!mode || mode === 'fast') return pgsh('stop', dir);
      asPg(pgBin('pg_ctl'), ['-D', path.join(dir, 'data'), '-m', mode, '-w', '-t', '60', 'stop']);
      return undefined;
    },
    log: () => { try { return fs.readFileSync(path.join(dir, 'log'), 'utf8'); } catch { return ''; } },
    setWalLevel: async (level) => {
      await c.sql(`ALTER SYSTEM SET wal_level = ${level}`);
      c.stop();
      c.start();
    },
  };
  c.start();
  onCleanup(() => {
    c.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return c;
}

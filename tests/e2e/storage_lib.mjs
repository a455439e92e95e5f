// storage_lib: helpers for the storage-fault scenarios (storage_*.test.mjs):
// a small tmpfs as the storage directory, filling it, read-only bind
// mounts, and the consumer rows of `electricctl status`.  Mounting needs
// root; when it is refused the test fails with a clear message (it must
// never pass without having exercised the fault).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ctl, sleep } from './lib.mjs';

function run(argv) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout || ''}${r.stderr || ''}`.trim() };
}

/* mount(8) or fail the test with why. */
export function mount(args, what) {
  const r = run(['mount', ...args]);
  assert.equal(r.code, 0, `${what}: mount ${args.join(' ')} failed (${r.out}); ` +
    'these tests need root (CAP_SYS_ADMIN) to mount a tmpfs');
}

export function mountTmpfs(dir, size = '4m') {
  fs.mkdirSync(dir, { recursive: true });
  mount(['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], 'tmpfs');
}

/* Unmounts dir, retrying while processes still hold files there. */
export async function umount(dir) {
  for (let i = 0; i < 50; i++) {
    const r = run(['umount', dir]);
    if (r.code === 0 || /not mounted/.test(r.out)) return;
    await sleep(100);
  }
  run(['umount', '-l', dir]);
}

/* Fills the file system of dir with dir/filler until ENOSPC. */
export function fill(dir) {
  const p = path.join(dir, 'filler');
  const fd = fs.openSync(p, 'w');
  const buf = Buffer.alloc(64 * 1024, 0x66);
  try {
    for (;;) fs.writeSync(fd, buf);
  } catch (e) {
    if (e.code !== 'ENOSPC') throw e;
  }
  // Then the last few bytes.
  const one = Buffer.alloc(512, 0x66);
  try { for (;;) fs.writeSync(fd, one); } catch { /* full */ }
  fs.closeSync(fd);
  return p;
}

/* The consumer rows of electricctl status: [{ id, pid, restarts, detail }]. */
export function consumers(E) {
  const r = ctl(E, ['status']);
  assert.equal(r.code, 0, `${r.cmd}: ${r.stderr}${r.stdout}`);
  return r.json.processes.filter((p) => p.role === 'consumer');
}

/* Every line of the log matching re. */
export function logLines(E, re) {
  return E.log().split('\n').filter((l) => re.test(l));
}

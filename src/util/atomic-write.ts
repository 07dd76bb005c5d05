// Atomic file writes: write a temporary file beside the target, flush it, then rename over the target,
// so a killed process never leaves a half-written file behind. A kill between the open and the rename
// leaves the temporary file (`.<name>.<pid>.<ms>.tmp`); `removeStaleTemps` clears those of dead processes.
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Names of the atomic writer's temporary files: `.<target>.<pid>.<ms>.tmp` (the pid comes first). */
export const ATOMIC_TEMP = /^\..+\.(\d+)\.\d+\.tmp$/;

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/**
 * Deletes the atomic writer's temporary files left in `dir` (not below it) by killed processes: plain
 * files named like ATOMIC_TEMP whose pid is not a running process (a live writer's file is kept).
 * Returns the names removed.
 */
export function removeStaleTemps(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    const m = ATOMIC_TEMP.exec(name);
    if (!m || processAlive(Number(m[1]))) continue;
    const p = join(dir, name);
    try {
      if (!statSync(p).isFile()) continue;
      rmSync(p, { force: true });
      removed.push(name);
    } catch { /* gone already */ }
  }
  return removed;
}

// Atomic file writes: write a temporary file beside the target, flush it, then rename over the target,
// so a killed process never leaves a half-written file behind. A kill between the open and the rename
// leaves the temporary file (`.<name>.<pid>.<ms>.tmp`); `removeStaleTemps` clears those of dead processes.
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Names of the atomic writer's temporary files: `.<target>.<pid>.<ms>.tmp` (the pid comes first). */
export const ATOMIC_TEMP = /^\..+\.(\d+)\.\d+\.tmp$/;

/** A file that could not be written: the message names it (the system error alone, e.g. ENOSPC, names none). */
export class FileWriteError extends Error {
  /** The system error's code (`ENOSPC`, `EACCES`, `EDQUOT`, ...), when it had one. */
  readonly code: string | undefined;
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    const e = cause as NodeJS.ErrnoException;
    const hint = e?.code === 'ENOSPC' || e?.code === 'EDQUOT' ? ` (the disk holding ${dirname(path)} is full; free space and retry)` : '';
    super(`cannot write ${path}: ${e?.message ?? String(cause)}${hint}`, { cause });
    this.name = 'FileWriteError';
    this.code = e?.code;
  }
}

// A test's stand-in for a failing disk: called before each write of `bytes` to `path` (the target, not
// the temporary file); throwing from it fails that write as the system would.
let writeFault: ((path: string, bytes: number) => void) | null = null;

/** Makes every later atomic write call `fault` before writing (tests only; null restores normal writes). */
export function setWriteFaultForTests(fault: ((path: string, bytes: number) => void) | null): void {
  writeFault = fault;
}

/**
 * Writes `data` to `path` atomically. A failure (a full disk included) removes the temporary file, leaves
 * any previous `path` as it was, and throws a FileWriteError naming `path`.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'w');
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < bytes.length) {
      writeFault?.(path, Math.min(bytes.length - off, 1 << 30));
      off += writeSync(fd, bytes, off, Math.min(bytes.length - off, 1 << 30));
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== null) {
      try {
        closeSync(fd);
      } catch {
        /* already failing */
      }
    }
    rmSync(tmp, { force: true });
    throw new FileWriteError(path, err);
  }
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
    } catch {
      /* gone already */
    }
  }
  return removed;
}

// Locates the real data in ../shared/data (relative to the project root) for tests and benchmarks.
// A test that needs it passes `{ skip: needSharedData('pneumoniamnist/pneumoniamnist.npz') }`, so that
// where the folder is absent the test reports itself skipped by name instead of silently passing.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function projectRoot(): string {
  // This file runs as dist/test/helpers/shared-data.js; the project root is three levels up.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

/** The shared data folder: `$LATENTLENS_SHARED_DATA`, else `<project root>/../shared/data`. */
export const SHARED_DATA = process.env.LATENTLENS_SHARED_DATA || resolve(projectRoot(), '..', 'shared', 'data');

/** Absolute path of a file or folder inside the shared data folder. */
export function sharedData(...parts: string[]): string {
  return join(SHARED_DATA, ...parts);
}

/**
 * For node:test's `skip` option: `false` when every path exists under the shared data folder,
 * otherwise a reason naming the first missing one.
 */
export function needSharedData(...parts: string[]): false | string {
  for (const p of parts.length ? parts : ['']) {
    const full = sharedData(p);
    if (!existsSync(full)) return `real data not available: ${full} is absent`;
  }
  return false;
}

// Paths of files latentlens writes into a run folder. A run folder may come from someone else, and names
// inside it (channel names from the data spec in config.json, map indices from rank.json) are not to be
// trusted as file names: output names are built from indices plus a strict slug, and every output path
// is checked to stay inside the run folder, symlinks resolved, before anything is created or written.
import { existsSync, mkdirSync, realpathSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { writeFileAtomic } from './atomic-write.js';

/** A file-name-safe form of a name: [A-Za-z0-9_-] only, runs of anything else as one '_', at most `max` characters ('' when nothing is left). */
export function fileSlug(name: string, max = 40): string {
  return name
    .replace(/[^A-Za-z0-9_-]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, max)
    .replace(/_+$/, '');
}

const within = (root: string, p: string) => p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);

/**
 * The absolute form of `p` (absolute, or relative to the run folder) if it lies inside the run folder,
 * also once symlinks of its existing ancestors are resolved; throws otherwise. A relative `p` is taken
 * relative to the run folder, not to the working directory: pass `'rank.json'` or an absolute path,
 * never `join(runDir, 'rank.json')` (with a run given as `./run` that names `run/run/rank.json`).
 */
export function insideRun(runDir: string, p: string): string {
  const root = resolve(runDir);
  const abs = resolve(root, p);
  const refuse = (why: string): never => {
    throw new Error(`refusing to write ${p}: ${why} the run folder ${runDir}`);
  };
  if (abs === root || !within(root, abs)) refuse('it is not inside');
  if (!existsSync(root)) return abs;
  // A symlinked folder inside the run (figures -> /elsewhere) must not carry writes out of it.
  const realRoot = realpathSync(root);
  let q = dirname(abs);
  while (!existsSync(q)) q = dirname(q);
  if (!within(realRoot, realpathSync(q))) refuse(`${q} leads outside`);
  return abs;
}

/** mkdir -p of a folder inside the run folder (checked first, so a symlinked parent is not followed out). */
export function mkdirInRun(runDir: string, dir: string): string {
  const abs = insideRun(runDir, dir);
  mkdirSync(abs, { recursive: true });
  return insideRun(runDir, abs);
}

/** Writes a file inside the run folder atomically (temporary file beside it, then rename); returns its absolute path. */
export function writeRunFile(runDir: string, p: string, data: string | Uint8Array): string {
  const abs = insideRun(runDir, p);
  writeFileAtomic(abs, data);
  return abs;
}

// The runs a server serves: an id for URLs, the folder's real path (the root every file must stay in),
// its compute worker (with its bounded queue), and a PNG cache bounded in bytes.
import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ByteLruCache } from './cache.js';
import { ComputeClient } from './compute.js';
import { realRoot } from './paths.js';

export interface ServedRun {
  id: string;
  dir: string;
  /** realpath of dir. */
  root: string;
  compute: ComputeClient;
  /** Set once the worker failed to load the run. */
  loadError?: string;
  ready: boolean;
  /** Thumbnail PNGs, least recently used evicted first. */
  pngCache: ByteLruCache;
}

export function openServedRuns(
  dirs: string[],
  o: { threads?: number; busyMs?: number; maxQueue?: number; thumbCacheBytes?: number },
): ServedRun[] {
  const used = new Set<string>();
  return dirs.map((dir) => {
    if (!existsSync(join(dir, 'config.json'))) throw new Error(`${dir} is not a latentlens run folder (no config.json)`);
    const root = realRoot(dir);
    // URL ids are plain names so they never need escaping and cannot smuggle path syntax.
    const base =
      basename(root)
        .replace(/[^A-Za-z0-9._-]/g, '_')
        .replace(/^\.+/, '_') || 'run';
    let id = base;
    for (let i = 2; used.has(id); i++) id = `${base}-${i}`;
    used.add(id);
    const compute = new ComputeClient({ dir: root, threads: o.threads, busyMs: o.busyMs }, { maxQueue: o.maxQueue });
    const run: ServedRun = { id, dir, root, compute, ready: false, pngCache: new ByteLruCache(o.thumbCacheBytes) };
    run.compute.ready.then(
      () => {
        run.ready = true;
      },
      (err: Error) => {
        run.loadError = err.message;
      },
    );
    return run;
  });
}

/** Which analysis files the run folder holds. */
export function runFiles(run: ServedRun): {
  config: boolean;
  rank: boolean;
  tcav: boolean;
  metrics: boolean;
  health: boolean;
  explain: number[];
  embed: string[];
} {
  const has = (f: string) => existsSync(join(run.root, f));
  const explainDir = join(run.root, 'explain');
  const explain = existsSync(explainDir)
    ? readdirSync(explainDir)
        .map((f) => /^map-(\d+)\.json$/.exec(f))
        .filter((m): m is RegExpExecArray => !!m)
        .map((m) => Number(m[1]))
        .sort((a, b) => a - b)
    : [];
  const embed = readdirSync(run.root)
    .map((f) => /^embed-([a-z0-9]+)\.json$/.exec(f))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => m[1]!)
    .sort();
  return {
    config: has('config.json'),
    rank: has('rank.json'),
    tcav: has('tcav.json'),
    metrics: has('metrics.json'),
    health: has('health.json'),
    explain,
    embed,
  };
}

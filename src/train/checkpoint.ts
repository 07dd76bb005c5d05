// Checkpoints: one folder per checkpoint under <run>/checkpoints/, written into a temporary folder and
// renamed into place, then pointed at by latest.json (itself written atomically). A killed process leaves
// either the previous checkpoint or the new one, never half of one.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { scope } from '../engine/scope.js';
import type { Optimizer } from '../engine/optim/optimizer.js';
import type { Tensor } from '../engine/tensor.js';
import { fromSafeTensor, toSafeTensor } from '../nn/state-io.js';
import { loadSafetensors, namingFile, saveSafetensors, type SafeTensor } from '../nn/safetensors.js';
import { writeJsonAtomic } from '../util/atomic-write.js';
import type { LatentModel } from '../models/types.js';
import type { TrainerState } from './state.js';

export const CHECKPOINTS = 'checkpoints';
export const LATEST = 'latest.json';

/** What latest.json holds. */
export interface LatestPointer {
  /** Step of the checkpoint. */
  step: number;
  /** Folder name under checkpoints/. */
  dir: string;
}

export const checkpointName = (step: number): string => `step-${String(step).padStart(8, '0')}`;

/** Saves a state dict map as .safetensors with `metadata` (tensors copied out of libtorch). */
export function saveTensorMap(path: string, map: Map<string, Tensor>, metadata: Record<string, string> = {}): void {
  const entries: Record<string, SafeTensor> = {};
  scope(() => {
    for (const [name, t] of map) entries[name] = toSafeTensor(name, t.contiguous());
  });
  saveSafetensors(path, entries, { format: 'pt', ...metadata });
}

/** Loads a .safetensors file as tensors (in the caller's scope) and its metadata. */
export function loadTensorMap(path: string): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  const { tensors, metadata } = loadSafetensors(path);
  return { tensors: new Map(Object.entries(tensors).map(([n, s]) => [n, fromSafeTensor(n, s)])), metadata };
}

function optimizerTensors(optimizers: Map<string, Optimizer>): {
  map: Map<string, Tensor>;
  meta: Record<string, { step: number; lr: number; params: number }>;
} {
  const map = new Map<string, Tensor>();
  const meta: Record<string, { step: number; lr: number; params: number }> = {};
  for (const [group, opt] of optimizers) {
    const d = opt.stateDict();
    meta[group] = { step: d.step, lr: d.lr, params: d.state.length };
    d.state.forEach((s, i) => {
      for (const [k, t] of Object.entries(s)) map.set(`${group}.${i}.${k}`, t);
    });
  }
  return { map, meta };
}

/** A checkpoint that could not be written; the run's previous checkpoint is left in place. */
export class CheckpointWriteError extends Error {
  constructor(
    readonly step: number,
    readonly kept: LatestPointer | null,
    cause: unknown,
  ) {
    const keptText = kept
      ? `the last checkpoint (${kept.dir}, step ${kept.step}) is kept, and --resume continues from it`
      : 'no earlier checkpoint exists';
    super(
      `checkpoint of step ${step} not written: ${(cause as Error)?.message ?? String(cause)}; its temporary folder was removed and ${keptText}`,
      { cause },
    );
    this.name = 'CheckpointWriteError';
  }
}

/**
 * Writes a complete checkpoint of model, optimizers and trainer state; returns its folder. A failed
 * write (a full disk) removes what it wrote, keeps the previous checkpoint and latest.json as they were,
 * and throws a CheckpointWriteError naming the file that failed.
 */
export function saveCheckpoint(
  runDir: string,
  model: LatentModel,
  optimizers: Map<string, Optimizer>,
  state: TrainerState,
  keep: number,
): string {
  const root = join(runDir, CHECKPOINTS);
  const name = checkpointName(state.step);
  const tmp = join(root, `.tmp-${name}-${process.pid}`);
  const final = join(root, name);
  const old = join(root, `.old-${name}-${process.pid}`);
  let previous: LatestPointer | null = null;
  try {
    previous = latestCheckpoint(runDir);
  } catch {
    /* unreadable latest.json: named by resume, not here */
  }
  let replaced = false;
  let placed = false;
  try {
    mkdirSync(root, { recursive: true });
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp);
    scope(() => {
      saveTensorMap(join(tmp, 'model.safetensors'), model.stateDict(), { config: JSON.stringify(model.config) });
      const { map, meta } = optimizerTensors(optimizers);
      saveTensorMap(join(tmp, 'optimizer.safetensors'), map, { groups: JSON.stringify(meta) });
    });
    writeJsonAtomic(join(tmp, 'state.json'), state);
    if (existsSync(final)) {
      // Same step written again (a resumed run): move the old one aside first so the swap stays atomic.
      renameSync(final, old);
      replaced = true;
    }
    renameSync(tmp, final);
    placed = true;
    writeJsonAtomic(join(root, LATEST), { step: state.step, dir: name } satisfies LatestPointer);
  } catch (err) {
    // Back to the state before this call: the new folder (or its temporary) gone, a moved-aside same-step
    // checkpoint back in place; latest.json was never changed (its write is atomic).
    try {
      rmSync(tmp, { recursive: true, force: true });
      if (placed && !replaced) rmSync(final, { recursive: true, force: true });
      if (replaced) {
        if (placed) rmSync(final, { recursive: true, force: true });
        renameSync(old, final);
      }
    } catch {
      /* the error below says what failed first */
    }
    throw new CheckpointWriteError(state.step, previous, err);
  }
  if (replaced) rmSync(old, { recursive: true, force: true });
  pruneCheckpoints(root, keep, name);
  return final;
}

/** Deletes all but the newest `keep` checkpoints (never `current`) and leftovers of killed writes. */
export function pruneCheckpoints(root: string, keep: number, current?: string): void {
  if (!existsSync(root)) return;
  const names = readdirSync(root);
  for (const n of names) if (n.startsWith('.tmp-') || n.startsWith('.old-')) rmSync(join(root, n), { recursive: true, force: true });
  const steps = names.filter((n) => /^step-\d+$/.test(n)).sort();
  for (const n of steps.slice(0, Math.max(0, steps.length - keep)))
    if (n !== current) rmSync(join(root, n), { recursive: true, force: true });
}

/** The latest checkpoint's pointer, or null when the run has none. */
export function latestCheckpoint(runDir: string): LatestPointer | null {
  const p = join(runDir, CHECKPOINTS, LATEST);
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as LatestPointer) : null;
}

/** Restores model weights, optimizer state and trainer state from a checkpoint folder. */
export function loadCheckpoint(dir: string, model: LatentModel, optimizers: Map<string, Optimizer>): TrainerState {
  const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as TrainerState;
  scope(() => {
    const weights = join(dir, 'model.safetensors');
    try {
      model.loadStateDict(loadTensorMap(weights).tensors, true);
    } catch (err) {
      throw namingFile(weights, err);
    }
    const { tensors, metadata } = loadTensorMap(join(dir, 'optimizer.safetensors'));
    const meta = JSON.parse(metadata.groups ?? '{}') as Record<string, { step: number; lr: number; params: number }>;
    for (const [group, opt] of optimizers) {
      const m = meta[group];
      if (!m) throw new Error(`${dir}: no optimizer state for group '${group}'`);
      const per: Record<string, Tensor>[] = Array.from({ length: m.params }, () => ({}));
      for (const [name, t] of tensors) {
        const match = /^(.*)\.(\d+)\.([^.]+)$/.exec(name);
        if (match && match[1] === group) per[Number(match[2])]![match[3]!] = t;
      }
      opt.loadStateDict({ step: m.step, lr: m.lr, state: per });
    }
  });
  return state;
}

// The run folder (DESIGN.md "Run folder"): config.json with every setting, the seed and versions;
// model.safetensors; checkpoints/; train.jsonl. `openRun` loads a trained model back for analyses.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { torchVersion } from '../engine/runtime.js';
import { scope } from '../engine/scope.js';
import type { ImageDataset, Splits } from '../data/types.js';
import { modelFromConfig } from '../models/registry.js';
import type { LatentModel, ModelConfig } from '../models/types.js';
import { writeJsonAtomic } from '../util/atomic-write.js';
import { CHECKPOINTS, latestCheckpoint, loadTensorMap } from './checkpoint.js';
import { readTrainLog } from './jsonl-log.js';
import type { ResolvedTrainOptions } from './options.js';

/** config.json of a run. */
export interface RunConfig {
  /** Versions that made the run. */
  versions: { latentlens: string; libtorch: string; node: string };
  created: string;
  seed: number;
  /** Every trainer setting, defaults filled in. */
  train: ResolvedTrainOptions;
  /** The model's config (kind, inputShape, latentMaps, latentGrid and its options): enough to rebuild it. */
  model: ModelConfig;
  /** Where the data came from, its shape and split sizes. */
  data: { source: string; shape: number[]; channelNames: string[]; splits: { train: number; val: number; test: number } };
  /** Anything the caller added (the CLI: `dataSpec` and `modelOptions`). */
  [extra: string]: unknown;
}

let cachedVersion: string | null = null;
/** latentlens's version from package.json. */
export function latentlensVersion(): string {
  if (cachedVersion) return cachedVersion;
  for (const rel of ['../../../package.json', '../../package.json']) {
    const p = new URL(rel, import.meta.url);
    if (existsSync(p)) {
      const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'latentlens') return (cachedVersion = pkg.version ?? 'unknown');
    }
  }
  return (cachedVersion = 'unknown');
}

export function writeRunConfig(out: string, c: { train: ResolvedTrainOptions; model: ModelConfig; data: ImageDataset; splits: Splits; extra?: Record<string, unknown> }): RunConfig {
  const config: RunConfig = {
    ...(c.extra ?? {}),
    versions: { latentlens: latentlensVersion(), libtorch: torchVersion, node: process.version },
    created: new Date().toISOString(),
    seed: c.train.seed,
    train: c.train,
    model: c.model,
    data: {
      source: c.data.source, shape: [...c.data.shape], channelNames: c.data.channelNames,
      splits: { train: c.splits.train.length, val: c.splits.val.length, test: c.splits.test.length },
    },
  };
  writeJsonAtomic(join(out, 'config.json'), config);
  return config;
}

export function readRunConfig(dir: string): RunConfig {
  const p = join(dir, 'config.json');
  if (!existsSync(p)) throw new Error(`${dir} is not a latentlens run folder (no config.json)`);
  return JSON.parse(readFileSync(p, 'utf8')) as RunConfig;
}

/** A run loaded back from its folder. */
export interface OpenedRun {
  dir: string;
  config: RunConfig;
  /** The model, rebuilt through the registry, holding the run's weights, in eval mode. */
  model: LatentModel;
  /** The file the weights came from: model.safetensors, or the latest checkpoint of an unfinished run. */
  weights: string;
  /** train.jsonl as records. */
  log(): Record<string, unknown>[];
}

/** Loads config.json and the weights of a run folder into a model built from the registry. */
export function openRun(dir: string): OpenedRun {
  const config = readRunConfig(dir);
  let weights = join(dir, 'model.safetensors');
  if (!existsSync(weights)) {
    const latest = latestCheckpoint(dir);
    if (!latest) throw new Error(`${dir} has neither model.safetensors nor a checkpoint`);
    weights = join(dir, CHECKPOINTS, latest.dir, 'model.safetensors');
  }
  const model = modelFromConfig(config.model as ModelConfig & { kind: ModelConfig['kind'] });
  scope(() => {
    try {
      model.loadStateDict(loadTensorMap(weights).tensors, true);
    } catch (err) {
      throw new Error(`${weights}: ${(err as Error).message}`);
    }
  });
  model.eval();
  return { dir, config, model, weights, log: () => readTrainLog(join(dir, 'train.jsonl')) };
}

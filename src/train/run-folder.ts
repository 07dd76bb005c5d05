// The run folder (DESIGN.md "Run folder"): config.json with every setting, the seed and versions;
// model.safetensors; checkpoints/; train.jsonl. `openRun` loads a trained model back for analyses. An
// imported TorchScript run (import.ts) holds model.pt instead of model.safetensors: config.json's
// model.path names it relative to the run folder, and its SHA-256 is checked when the run is opened.
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { torchVersion } from '../engine/runtime.js';
import { scope } from '../engine/scope.js';
import type { CaseDataset, Splits } from '../data/types.js';
import { modelFromConfig } from '../models/registry.js';
import { namingFile } from '../nn/safetensors.js';
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
  /** Every trainer setting, defaults filled in; absent in an imported run (nothing was trained). */
  train?: ResolvedTrainOptions;
  /** The model's config (kind, inputShape, latentMaps, latentGrid and its options): enough to rebuild it. */
  model: ModelConfig;
  /** Where the data came from, its shape and split sizes. */
  data: {
    source: string;
    shape: number[];
    channelNames: string[];
    splits: { train: number; val: number; test: number };
    /** Defaults the loader applied that the spec did not name (`ImageDataset.defaults`: NIfTI/DICOM size and normalisation). */
    defaults?: string[];
  };
  /** Set when the model was imported, not trained (import.ts). */
  imported?: ImportRecord;
  /** Anything the caller added (the CLI: `dataSpec` and `modelOptions`). */
  [extra: string]: unknown;
}

/** config.json's `imported`: where an imported model came from. */
export interface ImportRecord {
  /** 'torchscript': the .pt is copied in as model.pt; 'safetensors': a state dict loaded into a latentlens model, saved as model.safetensors. */
  format: 'torchscript' | 'safetensors';
  /** The file imported, as given (resolved to an absolute path). */
  from: string;
  /** SHA-256 (hex) and size of that file. */
  sha256: string;
  bytes: number;
  /** The weights file in the run folder, relative to it. */
  file: string;
}

/** The file name of an imported TorchScript model in its run folder. */
export const IMPORTED_TORCHSCRIPT = 'model.pt';

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

export function writeRunConfig(
  out: string,
  c: { train: ResolvedTrainOptions; model: ModelConfig; data: CaseDataset; splits: Splits; extra?: Record<string, unknown> },
): RunConfig {
  const config: RunConfig = {
    ...(c.extra ?? {}),
    versions: { latentlens: latentlensVersion(), libtorch: torchVersion(), node: process.version },
    created: new Date().toISOString(),
    seed: c.train.seed,
    train: c.train,
    model: c.model,
    data: {
      source: c.data.source,
      shape: [...c.data.shape],
      channelNames: c.data.channelNames,
      splits: { train: c.splits.train.length, val: c.splits.val.length, test: c.splits.test.length },
      ...(c.data.defaults ? { defaults: [...c.data.defaults] } : {}),
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
  /** The file the weights came from: model.safetensors, the latest checkpoint of an unfinished run, or an imported run's model.pt. */
  weights: string;
  /** train.jsonl as records. */
  log(): Record<string, unknown>[];
}

/**
 * The weights file `openRun` loads, absolute: an imported TorchScript run's model file (its weights are
 * in it), else model.safetensors, else the latest checkpoint's; null when there is none.
 */
export function runWeightsFile(dir: string, config: RunConfig = readRunConfig(dir)): string | null {
  if (config.imported?.format === 'torchscript') {
    const p = resolve(dir, typeof config.model.path === 'string' ? config.model.path : IMPORTED_TORCHSCRIPT);
    return existsSync(p) ? p : null;
  }
  const final = join(dir, 'model.safetensors');
  if (existsSync(final)) return final;
  const latest = latestCheckpoint(dir);
  return latest ? join(dir, CHECKPOINTS, latest.dir, 'model.safetensors') : null;
}

/** The model config with a TorchScript model's relative file paths resolved against the run folder. */
function modelConfigIn(dir: string, model: ModelConfig): ModelConfig {
  if (model.kind !== 'torchscript') return model;
  const out: ModelConfig = { ...model };
  for (const k of ['path', 'encoderPath', 'decoderPath'] as const) {
    const p = model[k];
    if (typeof p === 'string' && !isAbsolute(p)) out[k] = resolve(dir, p);
  }
  return out;
}

/** Loads config.json and the weights of a run folder into a model built from the registry. */
export function openRun(dir: string): OpenedRun {
  const config = readRunConfig(dir);
  const weights = runWeightsFile(dir, config);
  if (!weights) {
    throw new Error(
      config.imported?.format === 'torchscript'
        ? `${dir}: the imported model ${config.model.path as string} is missing from the run folder`
        : `${dir} has neither model.safetensors nor a checkpoint`,
    );
  }
  let model: LatentModel;
  try {
    model = modelFromConfig(modelConfigIn(dir, config.model) as ModelConfig & { kind: ModelConfig['kind'] });
  } catch (err) {
    throw new Error(`${dir}: ${(err as Error).message}`);
  }
  // An imported TorchScript run's weights are the module's own (its file was checked against its SHA-256).
  if (weights.endsWith('.safetensors')) {
    scope(() => {
      try {
        model.loadStateDict(loadTensorMap(weights).tensors, true);
      } catch (err) {
        throw namingFile(weights, err);
      }
    });
  }
  model.eval();
  return { dir, config, model, weights, log: () => readTrainLog(join(dir, 'train.jsonl')) };
}

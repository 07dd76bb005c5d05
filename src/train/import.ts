// Importing a model without training it (README "Analysing your own model"): a user's TorchScript
// autoencoder, copied into the run folder as model.pt with its SHA-256 in config.json, or a PyTorch state
// dict (.safetensors) loaded into a latentlens architecture of the same shape and saved as
// model.safetensors. Either way the folder is a run like a trained one to every analysis: config.json
// (the model's config, the data spec, `imported` instead of `train`), the weights, and health.json from
// the health check training ends with (reconstruction PSNR against the mean image, active units), on the
// given data's val split (or a seeded random one, as training draws it).
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, rmdirSync, rmSync, readdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { caseSize, type CaseDataset } from '../data/types.js';
import { noGrad } from '../engine/autograd.js';
import { torchVersion } from '../engine/runtime.js';
import { scope } from '../engine/scope.js';
import { tensor } from '../engine/tensor.js';
import { createModel, MODEL_KINDS, type ModelOptions } from '../models/registry.js';
import type { LatentModel, ModelKind } from '../models/types.js';
import { loadSafetensors, SafetensorsError } from '../nn/safetensors.js';
import { fromSafeTensor } from '../nn/state-io.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic-write.js';
import { CHECKPOINTS, saveTensorMap } from './checkpoint.js';
import { checkHealth, writeHealth, type HealthRecord } from './health.js';
import { IMPORTED_TORCHSCRIPT, latentlensVersion, type ImportRecord, type RunConfig } from './run-folder.js';
import { trainingSplits } from './trainer.js';

export interface ImportOptions {
  /** The model file: a TorchScript archive (`torch.jit.script(model).save(...)`) or a `.safetensors` state dict. */
  file: string;
  /** The data the model is checked on and the run's data (its shape must be what the model takes). */
  data: CaseDataset;
  /** The data's spec, recorded as config.json's `dataSpec` so analyses reload it. Default: none (analyses then need --data). */
  dataSpec?: string;
  /** Run folder to create (it must not hold a run). */
  out: string;
  /**
   * A state dict's latentlens architecture (`conv-ae`, `vae`, ...; required for .safetensors). Default
   * for a TorchScript file: 'torchscript'.
   */
  model?: ModelKind;
  /** The architecture's options, as `train --model-opt` takes them (inputShape comes from the data). */
  modelOptions?: Record<string, unknown>;
  /** Seed of the random validation split the health check uses when the data has no splits. Default 0. */
  seed?: number;
  /** Pixel range for PSNR. Default 1. */
  dataRange?: number;
  /** Cases per batch of the health check. Default 256. */
  batchSize?: number;
  /** Extra fields recorded in config.json (the CLI: its model options). */
  extraConfig?: Record<string, unknown>;
}

export interface ImportResult {
  out: string;
  config: RunConfig;
  health: HealthRecord;
  format: ImportRecord['format'];
  /** The weights file written in the run folder. */
  weights: string;
}

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];

function startsWithZip(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(4);
    return readSync(fd, b, 0, 4, 0) === 4 && ZIP_MAGIC.every((v, i) => b[i] === v);
  } finally {
    closeSync(fd);
  }
}

/** The error line of a TorchScript interpreter failure (its tracebacks run to dozens of lines). */
function interpreterError(msg: string): string {
  const lines = msg
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return [...lines].reverse().find((l) => /^[A-Za-z]+Error:/.test(l)) ?? lines[0] ?? msg;
}

const shape = (s: readonly number[]) => `[${s.join(', ')}]`;

/** Every way a state dict differs from the model's: one line per tensor (name, expected shape, got shape). */
export function stateDictMismatches(model: LatentModel, file: Map<string, readonly number[]>): string[] {
  const own = model.stateDict();
  const lines: string[] = [];
  for (const [name, t] of own) {
    const got = file.get(name);
    if (!got) lines.push(`${name}: expected ${shape(t.shape)}, missing from the file`);
    else if (got.join() !== t.shape.join()) lines.push(`${name}: expected ${shape(t.shape)}, got ${shape(got)}`);
  }
  for (const [name, got] of file) if (!own.has(name)) lines.push(`${name}: not in the model, got ${shape(got)}`);
  return lines;
}

/** Refuses a model whose reconstruction of the data's cases does not come back in their shape. */
function checkFits(model: LatentModel, data: CaseDataset, what: string): void {
  const per = data.shape.slice(1); // C x H x W, or C x D x H x W for volumes
  const cases = per.join(' x ');
  const got = scope(() =>
    noGrad(() => {
      try {
        return model.reconstruct(tensor(data.images.subarray(0, 2 * caseSize(data)), [Math.min(2, data.shape[0]), ...per])).shape;
      } catch (err) {
        throw new Error(`${what} does not take the data's ${cases} cases: ${interpreterError((err as Error).message)}`);
      }
    }),
  );
  if (got.slice(1).join(' x ') !== cases) {
    throw new Error(`${what} reconstructs ${cases} cases as ${got.slice(1).join(' x ')}: decode(encode(x)) must have the input's shape`);
  }
}

/**
 * Makes a run folder for a model trained elsewhere: a TorchScript autoencoder (copied in as model.pt) or a
 * .safetensors state dict of a latentlens architecture (saved as model.safetensors). Nothing is trained.
 * Writes config.json and health.json; throws, writing nothing, when the file does not fit (a state dict:
 * one line per mismatched tensor).
 */
export function importModel(o: ImportOptions): ImportResult {
  const file = resolve(o.file);
  if (!existsSync(file)) throw new Error(`import: ${o.file} not found`);
  if (o.data.shape[0] === 0) throw new Error('import: the data has no cases');
  const out = o.out;
  for (const f of ['config.json', 'train.jsonl', CHECKPOINTS]) {
    if (existsSync(join(out, f))) throw new Error(`import: ${out} already holds a run (${f}); choose another folder`);
  }
  const zip = startsWithZip(file);
  const kind: ModelKind =
    o.model ??
    (zip
      ? 'torchscript'
      : (() => {
          throw new Error(
            `import: ${o.file} is not a TorchScript archive; a .safetensors state dict needs the latentlens architecture it fits (model: ${MODEL_KINDS.filter((k) => k !== 'torchscript').join(', ')})`,
          );
        })());
  if (!MODEL_KINDS.includes(kind)) throw new Error(`import: model ${String(kind)}: expected one of ${MODEL_KINDS.join(', ')}`);
  if (kind === 'torchscript' && !zip)
    throw new Error(`import: ${o.file} is not a TorchScript archive (not a zip file); export one with torch.jit.script(model).save(path)`);
  const bytes = readFileSync(file);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  // C x H x W, or C x D x H x W: volumes build a latentlens model's 3D variant.
  const inputShape = o.data.shape.slice(1) as [number, number, number] | [number, number, number, number];

  const existed = existsSync(out);
  mkdirSync(out, { recursive: true });
  const written: string[] = [];
  let model: LatentModel | null = null;
  try {
    let weights: string;
    if (kind === 'torchscript') {
      weights = join(out, IMPORTED_TORCHSCRIPT);
      writeFileAtomic(weights, bytes);
      written.push(weights);
      try {
        model = createModel('torchscript', { path: weights, inputShape, sha256 });
      } catch (err) {
        const msg = (err as Error).message;
        if (/TorchScript interpreter/.test(msg))
          throw new Error(`import: ${o.file} does not take the data's ${inputShape.join(' x ')} cases: ${interpreterError(msg)}`);
        const hint = /constants\.pkl|PytorchStreamReader/.test(msg)
          ? ' (torch.save writes a pickle, not TorchScript: export the model with torch.jit.script(model).save(path), or save its state dict with safetensors.torch.save_file and import that with its latentlens model)'
          : '';
        throw new Error(`import: ${o.file}: ${msg.split(`${weights}: `).join('')}${hint}`);
      }
      checkFits(model, o.data, o.file);
    } else {
      let tensors: ReturnType<typeof loadSafetensors>['tensors'];
      try {
        tensors = loadSafetensors(file).tensors;
      } catch (err) {
        throw new Error(
          `import: ${o.file} is neither a TorchScript archive nor a readable .safetensors file: ${err instanceof SafetensorsError ? err.reason : (err as Error).message}`,
        );
      }
      model = createModel(kind, { ...(o.modelOptions ?? {}), inputShape } as ModelOptions);
      const mismatched = stateDictMismatches(model, new Map(Object.entries(tensors).map(([n, t]) => [n, t.shape])));
      if (mismatched.length) {
        throw new Error(
          `import: ${o.file} does not fit ${kind} ${JSON.stringify({ ...(o.modelOptions ?? {}), inputShape })}: ` +
            `${mismatched.length} tensor${mismatched.length === 1 ? '' : 's'} differ${mismatched.length === 1 ? 's' : ''}\n  ${mismatched.join('\n  ')}`,
        );
      }
      const m = model;
      scope(() => m.loadStateDict(new Map(Object.entries(tensors).map(([n, t]) => [n, fromSafeTensor(n, t)])), true));
      m.eval();
      checkFits(m, o.data, `${kind} with the weights of ${o.file}`);
      weights = join(out, 'model.safetensors');
      saveTensorMap(weights, m.stateDict(), { config: JSON.stringify(m.config) });
      written.push(weights);
    }
    model.eval();
    const rel = kind === 'torchscript' ? IMPORTED_TORCHSCRIPT : 'model.safetensors';
    const imported: ImportRecord = {
      format: kind === 'torchscript' ? 'torchscript' : 'safetensors',
      from: file,
      sha256,
      bytes: bytes.length,
      file: rel,
    };
    const seed = o.seed ?? 0;
    const splits = trainingSplits(o.data, seed);
    const config: RunConfig = {
      ...(o.extraConfig ?? {}),
      ...(o.dataSpec !== undefined ? { dataSpec: o.dataSpec } : {}),
      versions: { latentlens: latentlensVersion(), libtorch: torchVersion(), node: process.version },
      created: new Date().toISOString(),
      seed,
      // A TorchScript model's file is recorded relative to the run folder, with the checksum openRun verifies.
      model: kind === 'torchscript' ? { ...model.config, path: IMPORTED_TORCHSCRIPT, sha256 } : model.config,
      data: {
        source: o.data.source,
        shape: [...o.data.shape],
        channelNames: o.data.channelNames,
        splits: { train: splits.train.length, val: splits.val.length, test: splits.test.length },
      },
      imported,
    };
    const hasVal = splits.val.length > 0;
    const health = checkHealth(model, o.data, {
      train: splits.train,
      eval: hasVal ? splits.val : splits.train,
      evalSplit: hasVal ? 'val' : 'train',
      dataRange: o.dataRange ?? 1,
      batchSize: o.batchSize,
      source: 'import',
      weights: rel,
    });
    writeJsonAtomic(join(out, 'config.json'), config);
    written.push(join(out, 'config.json'));
    writeHealth(out, health);
    return { out, config, health, format: imported.format, weights };
  } catch (err) {
    // Nothing half-imported is left behind: the files written so far, and the folder when this made it.
    for (const p of written) rmSync(p, { force: true });
    if (!existed && existsSync(out) && readdirSync(out).length === 0) rmdirSync(out);
    throw err;
  } finally {
    model?.dispose();
  }
}

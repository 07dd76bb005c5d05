// Model health: did training produce a model worth analysing? Two checks on held-out cases (the val
// split, or the training split when there is none):
//   1. reconstruction: the model's PSNR must beat the mean-image baseline (every case predicted by the
//      training split's mean image) by at least HEALTH_MARGIN_DB (1 dB, i.e. MSE at least 20.6% lower);
//   2. active units: at least one latent map with a cell whose encoded mean (the posterior mean for
//      VAEs) varies across cases (core/active-units.ts, as the metrics use it, over every cell of every map). Variational
//      models use the absolute threshold 0.01 on that variance (meaningful against their unit-variance
//      prior, Burda et al. 2016); a deterministic model's latent scale is arbitrary, so there a cell is
//      active when its variance exceeds 1% of the most variable cell's (and 1e-10): constant latents
//      still count 0. (`metrics`' active units average each map over its grid first, by default, and
//      use 0.01 for every model: they can read 0/8 where this check finds cells that vary in all 8 maps;
//      `metrics --pooling flatten` counts a VAE's cells as here.)
// The record is written to <run>/health.json (atomically) when training finishes or a model is imported
// (import.ts), and by the first analysis of a run that has none (runs made before the check existed;
// src/runs/run-health.ts). Every analysis prints its warning, `report` shows a banner on top and the
// explorer one in the run's panel.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { batches } from '../data/batches.js';
import { caseSize, type CaseDataset } from '../data/types.js';
import { noGrad } from '../engine/autograd.js';
import * as F from '../engine/functional.js';
import { scope } from '../engine/scope.js';
import { tensor } from '../engine/tensor.js';
import { activeUnits } from '../core/active-units.js';
import type { LatentModel } from '../models/types.js';
import { writeJsonAtomic } from '../util/atomic-write.js';
import { psnrFromMse } from './image-quality.js';

export const HEALTH_FILE = 'health.json';
/** The model's PSNR must exceed the mean-image baseline's by this many dB. */
export const HEALTH_MARGIN_DB = 1;
/** Active-unit threshold on the variance of a map's encoded mean (variational models). */
export const ACTIVE_THRESHOLD = 0.01;
/** Deterministic models: a map is active above this fraction of the most variable map's variance. */
export const RELATIVE_ACTIVE_THRESHOLD = 0.01;
/** Cases checked at most (the first of the split). */
export const HEALTH_MAX_CASES = 2000;

/** health.json. */
export interface HealthRecord {
  format: 'latentlens-health';
  version: 1;
  created: string;
  /** 'train': written when training finished; 'import': when the model was imported (import.ts); 'analysis': computed by an analysis of a run without one. */
  source: 'train' | 'import' | 'analysis';
  /** The weights checked, relative to the run folder (model.safetensors, or a checkpoint's). */
  weights?: string;
  /** Training step of those weights, when known. */
  step?: number;
  /** Cases the numbers are computed on. */
  cases: { split: 'val' | 'train'; count: number };
  /** The model's reconstruction error on those cases (decode(encode(x).z), the posterior mean for VAEs). */
  model: { mse: number; psnr: number };
  /** Every case predicted by the mean image of the training split. */
  baseline: { mse: number; psnr: number; what: string };
  /** Required PSNR gain over the baseline, dB. */
  marginDb: number;
  /**
   * The model decodes the latents of a frozen encoder trained and checked in another run (a diffusion
   * or adversarial decoder, `train-decoder --from`): a failed reconstruction then indicts this decoder, not the latents.
   */
  frozenEncoder?: boolean;
  /**
   * With a frozen encoder: the run it came from and whether that run passed its own health check (null:
   * it has no record). A failed encoder run leaves its latents in doubt, whatever this decoder does.
   */
  encoderRun?: { dir: string; passed: boolean | null };
  dataRange: number;
  activeUnits: {
    /** Active maps: maps with at least one active cell. */
    count: number;
    /** Latent maps K. */
    of: number;
    /** Active latent dimensions (cells of the h x w grids; a vector latent has one per map). */
    cells: { active: number; of: number };
    /** Variance threshold used, and how it was chosen. */
    threshold: number;
    thresholdKind: 'absolute' | 'relative';
    /** Per map, the largest variance over cases of one of its cells' encoded mean. */
    variance: number[];
  };
  passed: boolean;
  /** Why it failed, one sentence each; empty when passed. */
  reasons: string[];
  /** The one line analyses print when it failed, or null. */
  warning: string | null;
}

export interface HealthOptions {
  /** Training-split indices (the baseline's mean image). */
  train: ArrayLike<number>;
  /** Indices checked; their split's name. */
  eval: ArrayLike<number>;
  evalSplit: 'val' | 'train';
  /** Pixel range for PSNR. Default 1. */
  dataRange?: number;
  batchSize?: number;
  /** At most this many of `eval` (the first). Default HEALTH_MAX_CASES. */
  maxCases?: number;
  source?: HealthRecord['source'];
  weights?: string;
  step?: number;
  /** The run folder a frozen encoder came from (config.json's `from`), for its own verdict. */
  encoderRun?: string;
}

const db = (v: number) => `${v.toFixed(1)} dB`;

/**
 * The mean-image baseline alone: every case of `evalIdx` predicted by the mean image of `train`; its
 * MSE and PSNR (the trainer compares the first epoch's validation PSNR with it).
 */
export function meanImageBaseline(
  data: CaseDataset,
  train: ArrayLike<number>,
  evalIdx: ArrayLike<number>,
  dataRange = 1,
): { mse: number; psnr: number } {
  const per = caseSize(data);
  const mean = new Float64Array(per);
  for (let r = 0; r < train.length; r++) {
    const off = train[r]! * per;
    for (let p = 0; p < per; p++) mean[p] += data.images[off + p]!;
  }
  for (let p = 0; p < per; p++) mean[p] /= Math.max(1, train.length);
  let sq = 0;
  for (let r = 0; r < evalIdx.length; r++) {
    const off = evalIdx[r]! * per;
    for (let p = 0; p < per; p++) sq += (data.images[off + p]! - mean[p]!) ** 2;
  }
  const mse = sq / Math.max(1, evalIdx.length * per);
  return { mse, psnr: psnrFromMse(mse, dataRange) };
}

/**
 * The smallest and largest training pixel, the share of pixels outside 0..1 (beyond 1e-3, so float
 * rounding of a 0..1 normalisation does not count), and the MSE that an output confined to 0..1 cannot
 * go below on them (the mean squared distance of the pixels from 0..1).
 */
export function pixelRange(data: CaseDataset, train: ArrayLike<number>): { min: number; max: number; outside: number; floorMse: number } {
  const per = caseSize(data);
  let min = Infinity,
    max = -Infinity,
    outside = 0,
    sq = 0;
  for (let r = 0; r < train.length; r++) {
    const off = train[r]! * per;
    for (let p = 0; p < per; p++) {
      const v = data.images[off + p]!;
      if (v < min) min = v;
      if (v > max) max = v;
      const e = v < 0 ? -v : v > 1 ? v - 1 : 0;
      if (e > 1e-3) outside++;
      sq += e * e;
    }
  }
  const count = Math.max(1, train.length * per);
  return { min, max, outside: outside / count, floorMse: sq / count };
}

/** The checks on `model` (left in the training mode it was in). */
export function checkHealth(model: LatentModel, data: CaseDataset, o: HealthOptions): HealthRecord {
  const per = caseSize(data);
  if (o.train.length === 0) throw new Error('health: no training cases for the mean-image baseline');
  const mean = new Float64Array(per);
  for (let r = 0; r < o.train.length; r++) {
    const off = o.train[r]! * per;
    for (let p = 0; p < per; p++) mean[p] += data.images[off + p]!;
  }
  for (let p = 0; p < per; p++) mean[p] /= o.train.length;
  const max = o.maxCases ?? HEALTH_MAX_CASES;
  const evalIdx = Array.from({ length: Math.min(o.eval.length, max) }, (_, i) => o.eval[i]!);
  if (evalIdx.length === 0) throw new Error('health: no cases to check');

  let modelSq = 0,
    baseSq = 0,
    pixels = 0,
    k = 0,
    cells = 1,
    variational = false;
  let flat: Float32Array | null = null;
  let row = 0;
  const wasTraining = (model as { training?: boolean }).training === true;
  model.eval();
  try {
    noGrad(() => {
      for (const b of batches(data, { batchSize: o.batchSize ?? 256, indices: evalIdx })) {
        for (let i = 0; i < b.images.length; i++) baseSq += (b.images[i]! - mean[i % per]!) ** 2;
        pixels += b.images.length;
        scope(() => {
          const x = tensor(b.images, b.shape);
          const enc = model.encode(x);
          variational = enc.logvar !== undefined;
          modelSq += F.mseLoss(model.decode(enc.z), x, 'sum').item();
          const s = enc.z.shape;
          k = s[1]!;
          cells = s.slice(2).reduce((a, b) => a * b, 1); // h x w, or d x h x w for volumes
          flat ??= new Float32Array(evalIdx.length * k * cells);
          flat.set(enc.z.toFloat32(), row * k * cells);
          row += b.shape[0];
        });
      }
    });
  } finally {
    model.train(wasTraining);
  }
  const dataRange = o.dataRange ?? 1;
  const modelMse = modelSq / pixels,
    baseMse = baseSq / pixels;
  // Burda's active units are per latent dimension: here every cell of every map. A map is active when
  // any of its cells is (averaging a map over its grid first would hide a cell that alone carries a lesion).
  const table = { data: flat!, rows: evalIdx.length, cols: k * cells };
  const absolute = activeUnits(table, ACTIVE_THRESHOLD);
  const au = variational
    ? absolute
    : activeUnits(table, Math.max(1e-10, RELATIVE_ACTIVE_THRESHOLD * Math.max(0, ...absolute.variance.filter(Number.isFinite))));
  const mapVariance = Array.from({ length: k }, (_, j) => Math.max(...au.variance.slice(j * cells, (j + 1) * cells)));
  const mapActive = Array.from({ length: k }, (_, j) => au.active.slice(j * cells, (j + 1) * cells).some(Boolean));
  const record = {
    model: { mse: modelMse, psnr: psnrFromMse(modelMse, dataRange) },
    baseline: { mse: baseMse, psnr: psnrFromMse(baseMse, dataRange), what: 'mean image of the training split' },
    marginDb: HEALTH_MARGIN_DB,
    // A joint diffusion autoencoder's encoder trained with its decoder here: its latents are this run's to answer for.
    ...((model.config.kind === 'diffusion-ae' && model.config.joint !== true) || model.config.kind === 'adversarial-ae'
      ? {
          frozenEncoder: true,
          ...(o.encoderRun ? { encoderRun: { dir: o.encoderRun, passed: readHealth(o.encoderRun)?.passed ?? null } } : {}),
        }
      : {}),
    activeUnits: {
      count: mapActive.filter(Boolean).length,
      of: k,
      cells: { active: au.count, of: k * cells },
      threshold: au.threshold,
      thresholdKind: variational ? ('absolute' as const) : ('relative' as const),
      variance: mapVariance,
    },
  };
  const { reasons, warning } = judge(record);
  return {
    format: 'latentlens-health',
    version: 1,
    created: new Date().toISOString(),
    source: o.source ?? 'train',
    ...(o.weights !== undefined ? { weights: o.weights } : {}),
    ...(o.step !== undefined ? { step: o.step } : {}),
    cases: { split: o.evalSplit, count: evalIdx.length },
    ...record,
    dataRange,
    passed: reasons.length === 0,
    reasons,
    warning,
  };
}

/** The reasons a record fails and its warning line (null when it passes). */
export function judge(r: Pick<HealthRecord, 'model' | 'baseline' | 'marginDb' | 'activeUnits' | 'frozenEncoder' | 'encoderRun'>): {
  reasons: string[];
  warning: string | null;
} {
  const reasons: string[] = [];
  const parts: string[] = [];
  const gain = r.model.psnr - r.baseline.psnr;
  if (!Number.isFinite(r.model.mse)) {
    reasons.push(`the reconstruction error is ${r.model.mse}`);
    parts.push(`its reconstruction error is ${r.model.mse}`);
  } else if (!(gain >= r.marginDb)) {
    reasons.push(
      `reconstruction PSNR ${db(r.model.psnr)} is ${gain >= 0 ? `only ${gain.toFixed(2)} dB above` : `${(-gain).toFixed(2)} dB below`} ` +
        `the mean-image baseline's ${db(r.baseline.psnr)} (MSE ${r.model.mse.toPrecision(3)} vs ${r.baseline.mse.toPrecision(3)}); at least ${r.marginDb} dB above is required`,
    );
    parts.push(
      `does not reconstruct ${gain > 0 ? 'clearly ' : ''}better than the mean image (PSNR ${db(r.model.psnr)} vs ${db(r.baseline.psnr)} baseline)`,
    );
  }
  const a = r.activeUnits;
  if (a.count === 0) {
    reasons.push(
      `no active units: no cell of the ${a.of} latent maps varies across cases (variance of the encoded mean above ${a.threshold.toPrecision(2)})`,
    );
    parts.push(`has no active latent units (0 of ${a.of})`);
  }
  // A frozen encoder's latents were checked in its own run: if they passed there, only the analyses that
  // decode are in doubt; if they failed there (or were never checked), nothing vouches for them.
  const encoderPassed = r.encoderRun === undefined || r.encoderRun.passed === true;
  const consequence =
    r.frozenEncoder && a.count > 0 && encoderPassed
      ? 'its encoder is the frozen one of the run it was trained from, so analyses of the latents (rank, attribution, TCAV) stand, ' +
        "but those that decode them (masked decoding, ablation, traversals, the entanglement index, live decoding) describe this decoder's failure"
      : r.frozenEncoder && r.encoderRun
        ? `its frozen encoder comes from ${r.encoderRun.dir}, which ${r.encoderRun.passed === false ? 'failed its own health check' : 'has no health record'}, so analyses of its latents describe noise`
        : 'analyses of its latents describe noise';
  const warning = parts.length ? `WARNING: this model ${parts.join(' and ')}; ${consequence}` : null;
  return { reasons, warning };
}

/** One line for the end of training or an analysis. */
export function healthLine(r: HealthRecord): string {
  if (r.warning) return r.warning;
  return (
    `health: passed (PSNR ${db(r.model.psnr)} vs ${db(r.baseline.psnr)} for the mean image on ${r.cases.count} ${r.cases.split} cases; ` +
    `${r.activeUnits.count} of ${r.activeUnits.of} active units)`
  );
}

export function writeHealth(dir: string, r: HealthRecord): string {
  const p = join(dir, HEALTH_FILE);
  writeJsonAtomic(p, r);
  return p;
}

/** health.json of a run folder, or null when it has none (or it cannot be parsed). */
export function readHealth(dir: string): HealthRecord | null {
  const p = join(dir, HEALTH_FILE);
  if (!existsSync(p)) return null;
  try {
    const r = JSON.parse(readFileSync(p, 'utf8')) as HealthRecord;
    return r && r.format === 'latentlens-health' ? r : null;
  } catch {
    return null;
  }
}

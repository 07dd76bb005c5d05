// Trainer settings: every field documented with its default, resolved once into a complete record that
// goes into config.json as it is.
import type { DataParallel } from './distributed/data-parallel.js';
import type { ScheduleKind } from './schedule.js';
import { cpuHasNativeBf16 } from '../engine/index.js';

export interface TrainOptions {
  /** Run folder: config.json, train.jsonl, checkpoints/, model.safetensors. Default none (nothing written, no resume). */
  out?: string;
  /** Passes over the training split. Default 10. Ignored when `steps` is set. */
  epochs?: number;
  /** Total optimizer steps instead of epochs (the last epoch may be partial). Default none. */
  steps?: number;
  /** Images per step. Default 64. */
  batchSize?: number;
  /** Drop a last batch smaller than batchSize. Default false. */
  dropLast?: boolean;
  /** 'adam' or 'adamw'. Default 'adam'. */
  optimizer?: 'adam' | 'adamw';
  /** Base learning rate (a model's group may set its own). Default 1e-3. */
  lr?: number;
  /** Weight decay: L2 for adam, decoupled for adamw. Default 0 (adam), 0.01 (adamw). */
  weightDecay?: number;
  /** Adam betas. Default [0.9, 0.999]. */
  betas?: [number, number];
  /** Adam epsilon. Default 1e-8. */
  eps?: number;
  /** LR schedule after warmup: 'constant', 'cosine' or 'step'. Default 'constant'. */
  schedule?: ScheduleKind;
  /** Steps of linear LR warmup. Default 0. */
  warmupSteps?: number;
  /** Cosine floor as a fraction of lr. Default 0. */
  minLrRatio?: number;
  /** Step schedule: steps between decays. Default 1000. */
  lrStepSize?: number;
  /** Step schedule: decay factor. Default 0.1. */
  lrGamma?: number;
  /** Clip gradients to this global L2 norm per optimizer group. Default 0 (off). */
  clipGradNorm?: number;
  /** Stop after this many epochs without a validation-loss improvement. Default 0 (off). */
  patience?: number;
  /** Smallest decrease of the validation loss that counts as an improvement. Default 0. */
  minDelta?: number;
  /** Write a checkpoint every N steps (and always at the end). Default 500; 0: only at the end. */
  checkpointEvery?: number;
  /** Checkpoints kept on disk (older ones are deleted). Default 3. */
  keepCheckpoints?: number;
  /** Batch size of validation. Default 256. */
  valBatchSize?: number;
  /** Pixel range for PSNR and SSIM. Default 1. */
  dataRange?: number;
  /** The one seed of every random choice (batch order, libtorch's draws per step). Default 0. */
  seed?: number;
  /** Continue from the run folder's latest checkpoint. Default false. */
  resume?: boolean;
  /** Progress bar on stderr. Default: when stderr is a terminal. */
  progress?: boolean;
  /** Aborting it (the CLI wires SIGINT to it) writes a checkpoint and returns with stopReason 'aborted'. */
  signal?: AbortSignal;
  /** Extra fields recorded in config.json (e.g. the CLI's data spec and model options). */
  extraConfig?: Record<string, unknown>;
  /**
   * The order of each epoch's batches: 'shuffle' (latentlens's seeded shuffle) or 'distributed' (PyTorch's
   * DistributedSampler: randperm seeded by seed + epoch, see distributed/sampler.ts). Default 'shuffle';
   * always 'distributed' under `distributed`, and a single process given 'distributed' sees the batches a
   * data-parallel run of the same global batch sees.
   */
  sampler?: 'shuffle' | 'distributed';
  /**
   * 'bf16': forward passes and losses under CPU bf16 autocast (engine/autocast.ts; weights, gradients and
   * the optimizer stay fp32, backward runs outside autocast), as torch.autocast('cpu', torch.bfloat16).
   * Needs a CPU with native bf16 (AVX512-BF16 or AMX). Validation and every later analysis run in fp32.
   * Default 'fp32'.
   */
  precision?: 'fp32' | 'bf16';
  /** Data-parallel training over a process group (distributed/data-parallel.ts); batchSize is then the global batch. */
  distributed?: DataParallel;
  /**
   * Run the health check (health.ts) on the final weights even without `out` (TrainResult.health).
   * With `out` it always runs and writes health.json. Default false.
   */
  health?: boolean;
}

/** The settings a run used, as recorded in config.json. */
export interface ResolvedTrainOptions {
  epochs: number;
  steps: number | null;
  batchSize: number;
  dropLast: boolean;
  optimizer: 'adam' | 'adamw';
  lr: number;
  weightDecay: number;
  betas: [number, number];
  eps: number;
  schedule: ScheduleKind;
  warmupSteps: number;
  minLrRatio: number;
  lrStepSize: number;
  lrGamma: number;
  clipGradNorm: number;
  patience: number;
  minDelta: number;
  checkpointEvery: number;
  keepCheckpoints: number;
  valBatchSize: number;
  dataRange: number;
  seed: number;
  /** Present only when 'distributed', so config.json of a single-process run is as it was. */
  sampler?: 'distributed';
  /** Present only when 'bf16', for the same reason. */
  precision?: 'bf16';
}

function positiveInt(name: string, v: number, min = 1): number {
  if (!(Number.isInteger(v) && v >= min)) throw new RangeError(`train: ${name} must be an integer >= ${min}, got ${v}`);
  return v;
}
function nonNegative(name: string, v: number): number {
  if (!(Number.isFinite(v) && v >= 0)) throw new RangeError(`train: ${name} must be a number >= 0, got ${v}`);
  return v;
}

function sampler(o: TrainOptions): 'shuffle' | 'distributed' {
  const s = o.distributed ? 'distributed' : (o.sampler ?? 'shuffle');
  if (s !== 'shuffle' && s !== 'distributed') throw new RangeError(`train: sampler must be shuffle or distributed, got '${String(s)}'`);
  if (s === 'distributed' && !(Number.isInteger(o.seed ?? 0) && (o.seed ?? 0) >= 0))
    throw new RangeError(`train: the distributed sampler needs an integer seed >= 0 (torch's generator), got ${o.seed}`);
  return s;
}

function precision(o: TrainOptions): 'fp32' | 'bf16' {
  const p = o.precision ?? 'fp32';
  if (p !== 'fp32' && p !== 'bf16') throw new RangeError(`train: precision must be fp32 or bf16, got '${String(p)}'`);
  if (p === 'bf16' && !cpuHasNativeBf16())
    throw new RangeError(
      'train: precision bf16 needs a CPU with native bf16 (AVX512-BF16 or AMX), which this one lacks: oneDNN would emulate it, slower than fp32',
    );
  return p;
}

export function resolveTrainOptions(o: TrainOptions): ResolvedTrainOptions {
  const optimizer = o.optimizer ?? 'adam';
  if (optimizer !== 'adam' && optimizer !== 'adamw')
    throw new RangeError(`train: optimizer must be adam or adamw, got '${String(optimizer)}'`);
  const schedule = o.schedule ?? 'constant';
  if (!['constant', 'cosine', 'step'].includes(schedule))
    throw new RangeError(`train: schedule must be constant, cosine or step, got '${schedule}'`);
  const lr = o.lr ?? 1e-3;
  if (!(lr > 0 && Number.isFinite(lr))) throw new RangeError(`train: lr must be positive, got ${lr}`);
  const betas = o.betas ?? [0.9, 0.999];
  if (betas.some((b) => !(b >= 0 && b < 1))) throw new RangeError(`train: betas must be in [0, 1), got [${betas}]`);
  const minLrRatio = nonNegative('minLrRatio', o.minLrRatio ?? 0);
  if (minLrRatio > 1) throw new RangeError(`train: minLrRatio must be at most 1, got ${minLrRatio}`);
  return {
    epochs: positiveInt('epochs', o.epochs ?? 10),
    steps: o.steps === undefined ? null : positiveInt('steps', o.steps),
    batchSize: positiveInt('batchSize', o.batchSize ?? 64),
    dropLast: o.dropLast ?? false,
    optimizer,
    lr,
    weightDecay: nonNegative('weightDecay', o.weightDecay ?? (optimizer === 'adamw' ? 0.01 : 0)),
    betas,
    eps: nonNegative('eps', o.eps ?? 1e-8),
    schedule,
    warmupSteps: positiveInt('warmupSteps', o.warmupSteps ?? 0, 0),
    minLrRatio,
    lrStepSize: positiveInt('lrStepSize', o.lrStepSize ?? 1000),
    lrGamma: nonNegative('lrGamma', o.lrGamma ?? 0.1),
    clipGradNorm: nonNegative('clipGradNorm', o.clipGradNorm ?? 0),
    patience: positiveInt('patience', o.patience ?? 0, 0),
    minDelta: nonNegative('minDelta', o.minDelta ?? 0),
    checkpointEvery: positiveInt('checkpointEvery', o.checkpointEvery ?? 500, 0),
    keepCheckpoints: positiveInt('keepCheckpoints', o.keepCheckpoints ?? 3),
    valBatchSize: positiveInt('valBatchSize', o.valBatchSize ?? 256),
    dataRange: o.dataRange ?? 1,
    seed: o.seed ?? 0,
    ...(sampler(o) === 'distributed' ? { sampler: 'distributed' as const } : {}),
    ...(precision(o) === 'bf16' ? { precision: 'bf16' as const } : {}),
  };
}

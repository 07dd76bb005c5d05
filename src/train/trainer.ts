// The training loop: seeded batches, one optimizer per model group, LR schedule, clipping, validation,
// early stopping, checkpoints and resume, NaN/Inf guard, progress and train.jsonl. Async: it yields to
// the event loop after every step so a signal (Ctrl-C) is seen between steps. Under `distributed` every
// rank runs this loop on its share of each global batch (distributed/), and rank 0 alone writes the run.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { batches } from '../data/batches.js';
import { randomSplits } from '../data/splits.js';
import type { CaseDataset, Splits } from '../data/types.js';
import { Adam, AdamW } from '../engine/optim/adam.js';
import type { Optimizer } from '../engine/optim/optimizer.js';
import { autocastBf16, outsideAutocast } from '../engine/autocast.js';
import { scope } from '../engine/scope.js';
import { tensor } from '../engine/tensor.js';
import type { LatentModel, LossTerms, UpdateFn } from '../models/types.js';
import { latestCheckpoint, loadCheckpoint, saveCheckpoint, saveTensorMap, CHECKPOINTS } from './checkpoint.js';
import { clipGradNorm } from './clip.js';
import { JsonlLog, truncateLogAfter } from './jsonl-log.js';
import { resolveTrainOptions, type ResolvedTrainOptions, type TrainOptions } from './options.js';
import { ProgressBar } from './progress-bar.js';
import { readRunConfig, writeRunConfig } from './run-folder.js';
import { lrFactor } from './schedule.js';
import { seedStep, shuffleSeed, validationSeed } from './seed.js';
import { NonFiniteLossError, type EpochRecord, type StepRecord, type TrainResult, type TrainerState } from './state.js';
import { evaluateReconstruction } from './validate.js';
import { psnrFromMse } from './image-quality.js';
import { distributedSamplerIndices } from './distributed/sampler.js';
import { firstNonFinite } from './finite.js';
import { checkHealth, HEALTH_FILE, meanImageBaseline, pixelRange, readHealth, writeHealth, type HealthRecord } from './health.js';
import { removeStaleTemps, writeFileAtomic } from '../util/atomic-write.js';

/** Everything `onEvent` is told, in order; step and epoch events are also the lines of train.jsonl. */
export type TrainEvent =
  | { type: 'start'; step: number; resumed: boolean; totalSteps: number; epochs: number; stepsPerEpoch: number }
  | StepRecord
  | EpochRecord
  | { type: 'checkpoint'; step: number; dir: string }
  | { type: 'stop'; step: number; reason: TrainResult['stopReason'] }
  /** Resuming a run that had already finished: nothing was trained; `wrote` are the final files that were missing. */
  | { type: 'finalized'; step: number; reason: TrainResult['stopReason']; checkpoint: string; wrote: string[] }
  | { type: 'error'; step: number; message: string }
  /**
   * Something the run should know now rather than at the end, written to train.jsonl and said on stderr:
   * `pixel-range` before the first step when training pixels lie so far outside the 0..1 a sigmoid
   * output reaches that the error they force is a tenth of the mean image's or more (with their range,
   * the share outside and the PSNR ceiling); `below-baseline` when the validation PSNR at the
   * end of the epoch that reaches half of the run's steps is still below the mean-image baseline's (every
   * validation case predicted by the training split's mean image), with both PSNRs.
   */
  | { type: 'warning'; step: number; epoch: number; kind: 'below-baseline'; message: string; psnr: number; baselinePsnr: number }
  | {
      type: 'warning';
      step: number;
      epoch: number;
      kind: 'pixel-range';
      message: string;
      min: number;
      max: number;
      outside: number;
      floorMse: number;
      ceilingPsnr: number;
      baselinePsnr: number;
    };

const percent = (f: number) => `${f >= 0.01 ? (100 * f).toFixed(0) : (100 * f).toPrecision(2)}%`;
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function makeOptimizers(model: LatentModel, o: ResolvedTrainOptions): { optimizers: Map<string, Optimizer>; baseLr: Map<string, number> } {
  const optimizers = new Map<string, Optimizer>();
  const baseLr = new Map<string, number>();
  for (const g of model.paramGroups()) {
    const lr = g.lr ?? o.lr;
    const opts = { lr, betas: g.betas ?? o.betas, eps: o.eps, weightDecay: o.weightDecay };
    optimizers.set(g.name, o.optimizer === 'adamw' ? new AdamW(g.params, opts) : new Adam(g.params, opts));
    baseLr.set(g.name, lr);
  }
  if (optimizers.size === 0) throw new Error('train: the model has no parameter groups');
  return { optimizers, baseLr };
}

function freshState(): TrainerState {
  return {
    step: 0,
    epoch: 0,
    batchInEpoch: 0,
    epochTermSums: {},
    epochSteps: 0,
    bestValLoss: null,
    bestEpoch: null,
    badEpochs: 0,
    finished: false,
    history: [],
  };
}

/** The dataset's splits, or seeded random ones (val 10%, no test) when it has none. */
export function trainingSplits(data: CaseDataset, seed: number): Splits {
  return data.splits ?? randomSplits(data.shape[0], { val: 0.1, test: 0, seed: `latentlens-split:${seed}` });
}

/**
 * Trains `model` on the train split of `data` (validating on its val split each epoch) and returns the
 * run's record. With `out`, writes the run folder (config.json, train.jsonl, checkpoints/, model.safetensors);
 * with `resume`, continues from its latest checkpoint and reaches the weights an uninterrupted run would
 * (a run that had already finished is not trained again: any final file a kill cost is written from its
 * last checkpoint, see TrainResult.finalized). Either way, temporary files of killed writes are removed first.
 * Throws NonFiniteLossError when a loss term turns NaN/Inf (the last good checkpoint stays as it was).
 * The model is left in eval mode.
 */
export async function trainModel(
  model: LatentModel,
  data: CaseDataset,
  options: TrainOptions = {},
  onEvent: (e: TrainEvent) => void = () => {},
): Promise<TrainResult> {
  const t0 = performance.now();
  const o = resolveTrainOptions(options);
  const dp = options.distributed ?? null;
  const world = dp?.worldSize ?? 1;
  // Rank 0 writes the run folder; the other ranks read it only to resume.
  const writer = !dp || dp.writer;
  const out = writer ? (options.out ?? null) : null;
  const splits = trainingSplits(data, o.seed);
  const trainIdx = splits.train;
  if (trainIdx.length === 0) throw new Error('train: the dataset has no training samples');
  if (o.batchSize % world !== 0)
    throw new RangeError(`train: the global batch size ${o.batchSize} must be a multiple of the ${world} ranks`);
  // Per-rank batch and samples: the distributed sampler pads the split to ceil(n / W) per rank.
  const rankBatch = o.batchSize / world;
  const perRank = o.sampler === 'distributed' ? Math.ceil(trainIdx.length / world) : trainIdx.length;
  const stepsPerEpoch = o.dropLast ? Math.floor(perRank / rankBatch) : Math.ceil(perRank / rankBatch);
  if (stepsPerEpoch === 0) throw new Error(`train: ${trainIdx.length} training samples make no full batch of ${o.batchSize} (dropLast)`);
  const totalSteps = o.steps ?? o.epochs * stepsPerEpoch;
  const epochs = Math.ceil(totalSteps / stepsPerEpoch);
  const { optimizers, baseLr } = makeOptimizers(model, o);
  const mainGroup = optimizers.has('main') ? 'main' : [...optimizers.keys()][0]!;

  let state = freshState();
  let checkpoint: string | null = null;
  if (!writer && options.resume) {
    // Every rank loads the same checkpoint (optimizer state included), so the run folder must be on a
    // filesystem every rank sees; the weights are then broadcast from rank 0 anyway.
    const latest = options.out ? latestCheckpoint(options.out) : null;
    if (!latest)
      throw new Error(`train: rank ${dp!.rank}: ${options.out} has no checkpoint to resume from (is the run folder shared by every rank?)`);
    state = loadCheckpoint(join(options.out!, CHECKPOINTS, latest.dir), model, optimizers);
  }
  if (out) {
    mkdirSync(out, { recursive: true });
    const latest = latestCheckpoint(out);
    if (options.resume) {
      if (!latest) throw new Error(`train: ${out} has no checkpoint to resume from`);
      checkpoint = join(out, CHECKPOINTS, latest.dir);
      state = loadCheckpoint(checkpoint, model, optimizers);
      // Only the final checkpoint follows its epoch's validation; the others precede it.
      if (!state.finished) truncateLogAfter(join(out, 'train.jsonl'), state.step);
    } else {
      if (latest || existsSync(join(out, 'train.jsonl')))
        throw new Error(`train: ${out} already holds a run; pass resume to continue it, or choose another folder`);
    }
    // Temporary files of atomic writes that a kill interrupted (config, log, weights, latest.json).
    removeStaleTemps(out);
    removeStaleTemps(join(out, CHECKPOINTS));
    if (!options.resume) writeRunConfig(out, { train: o, model: model.config, data, splits, extra: options.extraConfig });
  } else if (options.resume && writer) throw new Error('train: resume needs the run folder (out)');
  const resumedFrom = state.step;

  const log = new JsonlLog(out ? join(out, 'train.jsonl') : null);
  const bar =
    writer && (options.progress ?? process.stderr.isTTY === true) ? new ProgressBar(process.stderr, totalSteps, o.batchSize) : null;
  const emit = (e: TrainEvent, toLog = true) => {
    if (toLog) log.write(e);
    onEvent(e);
  };
  let lastTerms: LossTerms = {};
  let health: HealthRecord | null = null;

  const save = (): void => {
    if (!out) return;
    const bad = firstNonFinite(model);
    if (bad) throw new NonFiniteLossError(state.step, `weight ${bad}`, NaN, checkpoint);
    checkpoint = saveCheckpoint(out, model, optimizers, state, o.keepCheckpoints);
    emit({ type: 'checkpoint', step: state.step, dir: checkpoint });
  };
  const result = (reason: TrainResult['stopReason']): TrainResult => {
    const last = state.history[state.history.length - 1];
    return {
      stopReason: reason,
      steps: state.step,
      epochs: state.history.filter((h) => h.steps === stepsPerEpoch).length,
      history: state.history,
      finalVal: last?.val ?? null,
      best: state.bestValLoss === null ? null : { valLoss: state.bestValLoss, epoch: state.bestEpoch! },
      lastTerms,
      checkpoint,
      out,
      resumedFrom,
      seconds: (performance.now() - t0) / 1000,
      health,
    };
  };
  const finish = (reason: TrainResult['stopReason']): TrainResult => {
    emit({ type: 'stop', step: state.step, reason });
    log.close();
    bar?.done();
    return result(reason);
  };
  // A decoder run's frozen encoder came from this run folder (train-decoder's `from`, kept in config.json).
  const from = out ? readRunConfig(out).from : options.extraConfig?.from;
  const healthCheck = (): HealthRecord => {
    const hasVal = splits.val.length > 0;
    return checkHealth(model, data, {
      train: trainIdx,
      eval: hasVal ? splits.val : trainIdx,
      evalSplit: hasVal ? 'val' : 'train',
      dataRange: o.dataRange,
      batchSize: o.valBatchSize,
      source: 'train',
      step: state.step,
      ...(out ? { weights: 'model.safetensors' } : {}),
      ...(typeof from === 'string' ? { encoderRun: from } : {}),
    });
  };

  if (state.finished && !writer) return result(state.stopReason ?? 'completed');
  if (state.finished) {
    // Finished at its latest checkpoint: nothing to train, and no start/stop pair is logged. A kill after
    // that checkpoint (during the final weights' write, or the health check) cost the final files; they
    // are written from the checkpoint now, with one 'finalized' line saying so.
    const reason = state.stopReason ?? 'completed';
    const wrote: string[] = [];
    if (!existsSync(join(out!, 'model.safetensors'))) {
      // The checkpoint's weights file is the final one byte for byte (same state, same metadata).
      writeFileAtomic(join(out!, 'model.safetensors'), readFileSync(join(checkpoint!, 'model.safetensors')));
      wrote.push('model.safetensors');
    }
    health = readHealth(out!);
    if (!health) {
      health = healthCheck();
      writeHealth(out!, health);
      wrote.push(HEALTH_FILE);
    }
    if (wrote.length > 0) emit({ type: 'finalized', step: state.step, reason, checkpoint: checkpoint!, wrote });
    log.close();
    return { ...result(reason), finalized: wrote };
  }

  // The mean-image baseline of the early warnings, computed at most once (a pass over the training cases).
  let meanImage: { mse: number; psnr: number } | null = null;
  const baseline = () => (meanImage ??= meanImageBaseline(data, trainIdx, splits.val.length > 0 ? splits.val : trainIdx, o.dataRange));
  emit({ type: 'start', step: state.step, resumed: resumedFrom > 0 || options.resume === true, totalSteps, epochs, stepsPerEpoch });
  if (state.step === 0) {
    // Pixels outside 0..1 matter when the error they alone force on a 0..1 output is a tenth of the mean
    // image's or more (raw intensities: far more); the phantoms' noise leaves 3% of pixels just outside
    // (up to 1.46), which caps PSNR at 37 dB against the mean image's 23: not warned about.
    const range = pixelRange(data, trainIdx);
    const base = baseline();
    if (range.floorMse > 0.1 * base.mse) {
      const ceilingPsnr = psnrFromMse(range.floorMse, o.dataRange);
      const message =
        `training pixels span ${range.min.toPrecision(4)} to ${range.max.toPrecision(4)} (${percent(range.outside)} outside 0..1): ` +
        `latentlens's models reconstruct through a sigmoid, so their PSNR cannot pass ${ceilingPsnr.toFixed(1)} dB on these pixels, ` +
        `against ${base.psnr.toFixed(1)} dB for the mean image (norm=percentile for scanner data, or scale the pixels to 0..1)`;
      emit({ type: 'warning', step: 0, epoch: 0, kind: 'pixel-range', message, ...range, ceilingPsnr, baselinePsnr: base.psnr });
      bar?.log(`warning: ${message}`);
    }
  }
  model.train(true);
  // DDP's start: every rank begins from rank 0's weights and buffers.
  const paramSet = new Set([...optimizers.values()].flatMap((opt) => opt.params));
  dp?.broadcastState(model);

  // The update the model calls per group. A non-finite loss is never back-propagated or stepped.
  let nonFinite: { group: string; value: number } | null = null;
  let gradNorms: Record<string, number> = {};
  // Under bf16 autocast only the model's forward and loss are in the region: backward, the gradient
  // exchange, clipping and the step run outside it, as PyTorch recommends.
  const update: UpdateFn = (group, loss) => outsideAutocast(() => updateGroup(group, loss));
  const updateGroup: UpdateFn = (group, loss) => {
    const opt = optimizers.get(group);
    if (!opt) throw new Error(`train: the model updated group '${group}', which paramGroups() did not list`);
    let value = loss.item();
    // A non-finite loss on any rank stops every rank at the same update (the sum carries the NaN/Inf).
    if (dp && !nonFinite) value = dp.sum([value])[0]! / world;
    if (!Number.isFinite(value)) nonFinite ??= { group, value };
    if (nonFinite) return;
    opt.zeroGrad();
    loss.backward();
    // The mean gradient over ranks before clipping, as DDP has it after backward.
    dp?.averageGradients(opt.params);
    if (o.clipGradNorm > 0) {
      const norm = clipGradNorm(opt.params, o.clipGradNorm);
      gradNorms[group] = norm;
      if (!Number.isFinite(norm)) {
        nonFinite = { group: `gradient norm of ${group}`, value: norm };
        return;
      }
    }
    opt.step();
  };

  try {
    while (state.epoch < epochs && state.step < totalSteps) {
      const epochStart = performance.now();
      const it =
        o.sampler === 'distributed'
          ? batches(data, {
              batchSize: rankBatch,
              indices: distributedSamplerIndices(trainIdx.length, {
                worldSize: world,
                rank: dp?.rank ?? 0,
                seed: o.seed,
                epoch: state.epoch,
              }).map((i) => trainIdx[i]!),
              dropLast: o.dropLast,
            })
          : batches(data, {
              batchSize: o.batchSize,
              shuffle: true,
              seed: shuffleSeed(o.seed, state.epoch),
              indices: trainIdx,
              dropLast: o.dropLast,
            });
      let b = 0;
      for (const batch of it) {
        if (b++ < state.batchInEpoch) continue;
        if (state.step >= totalSteps) break;
        const step = state.step + 1;
        seedStep(o.seed, step, dp?.rank ?? 0);
        if (dp) dp.broadcastBuffers(model, paramSet);
        const factor = lrFactor(step, {
          kind: o.schedule,
          warmupSteps: o.warmupSteps,
          totalSteps,
          minLrRatio: o.minLrRatio,
          stepSize: o.lrStepSize,
          gamma: o.lrGamma,
        });
        for (const [g, opt] of optimizers) opt.lr = baseLr.get(g)! * factor;
        nonFinite = null;
        gradNorms = {};
        const ts = performance.now();
        const trainStep = () => model.trainStep(tensor(batch.images, batch.shape), step, update);
        let terms = scope(() => (o.precision === 'bf16' ? autocastBf16(trainStep) : trainStep()));
        // Logged terms are the mean over ranks.
        if (dp) {
          const keys = Object.keys(terms).sort();
          const sums = dp.sum(keys.map((k) => terms[k]!));
          terms = Object.fromEntries(keys.map((k, i) => [k, sums[i]! / world]));
        }
        const seconds = (performance.now() - ts) / 1000;
        const badTerm = Object.entries(terms).find(([, v]) => !Number.isFinite(v));
        const failed = badTerm ? { group: badTerm[0], value: badTerm[1] } : (nonFinite as { group: string; value: number } | null);
        if (failed) {
          const err = new NonFiniteLossError(step, failed.group, failed.value, checkpoint);
          emit({ type: 'error', step, message: err.message });
          log.close();
          bar?.done();
          throw err;
        }
        state.step = step;
        state.batchInEpoch = b;
        for (const [k, v] of Object.entries(terms)) state.epochTermSums[k] = (state.epochTermSums[k] ?? 0) + v;
        state.epochSteps++;
        lastTerms = terms;
        const rec: StepRecord = {
          type: 'step',
          step,
          epoch: state.epoch,
          lr: optimizers.get(mainGroup)!.lr,
          terms,
          imagesPerSec: (batch.shape[0] * world) / seconds,
        };
        if (o.clipGradNorm > 0) rec.gradNorm = gradNorms;
        emit(rec);
        bar?.update(step, state.epoch, epochs, terms.loss ?? Object.values(terms)[0] ?? NaN, rec.imagesPerSec);
        await yieldToEventLoop();
        // Ctrl-C on any rank stops every rank after this step.
        const aborted = options.signal?.aborted === true;
        if (dp ? dp.any(aborted) : aborted) {
          save();
          bar?.log(`stopped at step ${step}; checkpoint written${checkpoint ? ` to ${checkpoint}` : ''}`);
          return finish('aborted');
        }
        if (o.checkpointEvery > 0 && step % o.checkpointEvery === 0) save();
      }
      const stop = endEpoch(epochStart);
      if (stop) return await finalize('early-stopping');
    }
    return await finalize('completed');
  } catch (err) {
    log.close();
    throw err;
  } finally {
    // Whoever analyses the trained model next must see eval-mode layers (BatchNorm's running statistics).
    model.eval();
  }

  /** Validation, early-stopping bookkeeping and the epoch's record; true when training should stop. */
  function endEpoch(epochStart: number): boolean {
    let val = null;
    // Rank 0 validates; the others take its early-stopping decision (below) instead of validating too.
    if (splits.val.length > 0 && writer) {
      val = evaluateReconstruction(model, data, splits.val, {
        batchSize: o.valBatchSize,
        dataRange: o.dataRange,
        seed: validationSeed(o.seed, state.epoch),
      });
    }
    const valLoss = val ? (val.terms.loss ?? val.mse) : null;
    const improved = valLoss !== null && (state.bestValLoss === null || valLoss < state.bestValLoss - o.minDelta);
    if (improved) {
      state.bestValLoss = valLoss;
      state.bestEpoch = state.epoch;
      state.badEpochs = 0;
    } else if (valLoss !== null) state.badEpochs++;
    const train = Object.fromEntries(Object.entries(state.epochTermSums).map(([k, v]) => [k, v / Math.max(1, state.epochSteps)]));
    const rec: EpochRecord = {
      type: 'epoch',
      epoch: state.epoch,
      step: state.step,
      steps: state.batchInEpoch,
      train,
      val,
      lr: optimizers.get(mainGroup)!.lr,
      improved,
      seconds: (performance.now() - epochStart) / 1000,
    };
    state.history.push(rec);
    emit(rec);
    if (bar && val)
      bar.log(
        `epoch ${state.epoch + 1}: train ${fmt(train.loss)} val ${fmt(valLoss)} PSNR ${val.psnr.toFixed(2)} dB SSIM ${val.ssim.toFixed(4)}`,
      );
    // Halfway instead of at the end: a model that still does worse than predicting the mean image (a
    // too-high learning rate, pixels it cannot reach). Not after the first epoch: healthy runs were still
    // below the mean image there in 5 of 6 real and phantom runs (it took them 26 to 176 steps).
    const half = Math.ceil(totalSteps / 2);
    if (val && state.step >= half && state.step - state.batchInEpoch < half) {
      const base = baseline();
      if (val.psnr < base.psnr) {
        const message =
          `epoch ${state.epoch + 1} (step ${state.step} of ${totalSteps}): validation PSNR ${val.psnr.toFixed(2)} dB is below the ` +
          `mean-image baseline's ${base.psnr.toFixed(2)} dB (every case predicted by the training split's mean image); check the ` +
          'learning rate and that the pixels are in 0..1 (norm=percentile for scanner data)';
        emit({
          type: 'warning',
          step: state.step,
          epoch: state.epoch,
          kind: 'below-baseline',
          message,
          psnr: val.psnr,
          baselinePsnr: base.psnr,
        });
        bar?.log(`warning: ${message}`);
      }
    }
    state.epoch++;
    state.batchInEpoch = 0;
    state.epochTermSums = {};
    state.epochSteps = 0;
    const stop = o.patience > 0 && state.badEpochs >= o.patience;
    return dp ? dp.fromRank0(stop ? 1 : 0) === 1 : stop;
  }

  async function finalize(reason: TrainResult['stopReason']): Promise<TrainResult> {
    state.finished = true;
    state.stopReason = reason;
    save();
    if (out) saveTensorMap(join(out, 'model.safetensors'), model.stateDict(), { config: JSON.stringify(model.config) });
    if (out || (options.health && writer)) {
      health = healthCheck();
      if (out) writeHealth(out, health);
    }
    return finish(reason);
  }
}

const fmt = (v: number | null | undefined) => (v === null || v === undefined ? '-' : v.toPrecision(4));

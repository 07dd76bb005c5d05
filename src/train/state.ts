// Records of a training run: what each epoch measured, what a checkpoint restores, what a run returns.
import type { LossTerms } from '../models/types.js';
import type { HealthRecord } from './health.js';

/** Validation on the val split after an epoch. */
export interface ValidationRecord {
  /** The model's evalLoss terms, averaged over images. */
  terms: LossTerms;
  /** Reconstruction MSE over every pixel. */
  mse: number;
  /** 10 log10(dataRange^2 / mse), dB. */
  psnr: number;
  /** Mean SSIM (Gaussian window 11, sigma 1.5, K1 0.01, K2 0.03). */
  ssim: number;
  /** Images validated. */
  images: number;
}

/** One epoch: a `{"type":"epoch"}` line of train.jsonl. */
export interface EpochRecord {
  type: 'epoch';
  /** Epoch index, from 0. */
  epoch: number;
  /** Global step at the epoch's end. */
  step: number;
  /** Steps run in this epoch (fewer than a full epoch when `steps` ends it). */
  steps: number;
  /** Training loss terms averaged over the epoch's steps (steps since a resume, if resumed mid-epoch). */
  train: LossTerms;
  /** Validation, or null when the dataset has no val split. */
  val: ValidationRecord | null;
  /** Learning rate (main group) at the epoch's last step. */
  lr: number;
  /** Whether the validation loss improved on the best by more than minDelta. */
  improved: boolean;
  /** Wall seconds of the epoch (training and validation). */
  seconds: number;
}

/** One step: a `{"type":"step"}` line of train.jsonl. */
export interface StepRecord {
  type: 'step';
  /** Global step, from 1. */
  step: number;
  epoch: number;
  /** Learning rate of the main group. */
  lr: number;
  /** Loss terms the model returned. */
  terms: LossTerms;
  /** Global gradient norm before clipping, per group (only when clipping is on). */
  gradNorm?: Record<string, number>;
  /** Training throughput, images per second, of this step. */
  imagesPerSec: number;
}

/** What a checkpoint's state.json holds beside the weights. */
export interface TrainerState {
  /** Steps completed. */
  step: number;
  /** Current epoch, from 0. */
  epoch: number;
  /** Batches of the current epoch already trained (validation of the epoch is pending when all are). */
  batchInEpoch: number;
  /** Sums of the current epoch's training terms and their count, for the epoch's mean. */
  epochTermSums: LossTerms;
  epochSteps: number;
  /** Best validation loss so far and its epoch (null before the first validation). */
  bestValLoss: number | null;
  bestEpoch: number | null;
  /** Epochs since the last improvement. */
  badEpochs: number;
  /** Whether training ended (completed or early-stopped) at this checkpoint. */
  finished: boolean;
  /** Why it ended, once finished. */
  stopReason?: StopReason;
  /** Every epoch so far. */
  history: EpochRecord[];
}

export type StopReason = 'completed' | 'early-stopping' | 'aborted';

/** What `trainModel` returns. */
export interface TrainResult {
  /** Why training stopped. A loss that turns NaN/Inf throws NonFiniteLossError instead. */
  stopReason: StopReason;
  /** Steps completed in all (including those before a resume). */
  steps: number;
  /** Epochs fully completed. */
  epochs: number;
  /** Every epoch's record. */
  history: EpochRecord[];
  /** The last epoch's validation, or null. */
  finalVal: ValidationRecord | null;
  /** Best validation loss and its epoch. */
  best: { valLoss: number; epoch: number } | null;
  /** Last step's loss terms. */
  lastTerms: LossTerms;
  /** Folder of the last checkpoint written, or null. */
  checkpoint: string | null;
  /** Run folder, or null when `out` was not given. */
  out: string | null;
  /** Step the run resumed from (0 for a fresh run). */
  resumedFrom: number;
  /** Wall seconds of this call. */
  seconds: number;
  /**
   * The health check of the final weights (health.ts: reconstruction against the mean image, active
   * units), also written to <out>/health.json; null when training was stopped before it finished, or
   * ran without `out` and without the `health` option.
   */
  health: HealthRecord | null;
  /**
   * Only when resuming a run that had already finished (nothing is trained then): the final files that
   * were missing and were written from its last checkpoint (model.safetensors, health.json); empty when
   * none was missing.
   */
  finalized?: string[];
}

/** Thrown when a loss term turns NaN or infinite; weights of that step are never saved. */
export class NonFiniteLossError extends Error {
  constructor(
    readonly step: number,
    readonly term: string,
    readonly value: number,
    readonly lastCheckpoint: string | null,
  ) {
    super(
      `loss term '${term}' became ${value} at step ${step}; training stopped. ` +
        (lastCheckpoint
          ? `The last good checkpoint is ${lastCheckpoint} (resume from it with a lower lr or clipping).`
          : 'No checkpoint was written before it.'),
    );
    this.name = 'NonFiniteLossError';
  }
}

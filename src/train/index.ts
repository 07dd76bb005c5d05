// The trainer's public face.
export { trainModel, trainingSplits, type TrainEvent } from './trainer.js';
export { resumeRun } from './resume.js';
export { trainDiffusionDecoder, latentStats, type TrainDiffusionDecoderOptions } from './train-decoder.js';
export { trainAdversarialDecoder, ADVERSARIAL_DECODER_LR, type TrainAdversarialDecoderOptions } from './train-adversarial-decoder.js';
export {
  openRun,
  readRunConfig,
  latentlensVersion,
  runWeightsFile,
  IMPORTED_TORCHSCRIPT,
  type OpenedRun,
  type RunConfig,
  type ImportRecord,
} from './run-folder.js';
export { importModel, stateDictMismatches, type ImportOptions, type ImportResult } from './import.js';
export { resolveTrainOptions, type TrainOptions, type ResolvedTrainOptions } from './options.js';
export {
  NonFiniteLossError,
  type TrainResult,
  type EpochRecord,
  type StepRecord,
  type ValidationRecord,
  type TrainerState,
  type StopReason,
} from './state.js';
export { lrFactor, type ScheduleKind, type ScheduleOptions } from './schedule.js';
export { clipGradNorm, gradNorm } from './clip.js';
export {
  ssim,
  ssimPerImage,
  msSsim,
  msSsimPerImage,
  MS_SSIM_WEIGHTS,
  type MsSsimOptions,
  psnr,
  psnrFromMse,
  mse,
  gaussianWindow,
  type SsimOptions,
} from './image-quality.js';
export { evaluateReconstruction, type EvaluateOptions } from './validate.js';
export { latestCheckpoint, loadCheckpoint, saveTensorMap, loadTensorMap, type LatestPointer } from './checkpoint.js';
export { readTrainLog } from './jsonl-log.js';
export { mixSeed } from './seed.js';
export {
  checkHealth,
  judge,
  healthLine,
  readHealth,
  writeHealth,
  HEALTH_FILE,
  HEALTH_MARGIN_DB,
  ACTIVE_THRESHOLD,
  RELATIVE_ACTIVE_THRESHOLD,
  HEALTH_MAX_CASES,
  type HealthRecord,
  type HealthOptions,
} from './health.js';

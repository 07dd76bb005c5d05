// The run workflows: each reads a run folder, runs one analysis and writes its file in the one envelope
// of run-file.ts. The CLI and the demo call these; so can a script.
export { trainRun, resumeTrainRun, trainSummary, type TrainRunOptions, type TrainRunLog } from './train-run.js';
export {
  rankRun,
  rankSummary,
  RANK_DEFAULTS,
  type RankRunOptions,
  type RankRunOutput,
  type RankSettings,
  type RankFile,
} from './rank-run.js';
export { explainRun, type ExplainFile } from './explain-run.js';
export { EXPLAIN_DEFAULTS, type ExplainRunOptions, type ExplainSettings } from './explain-options.js';
export type { VolumeExplainFile } from './explain-volumes-run.js';
export { tcavRun, TCAV_DEFAULTS, type TcavRunOptions, type TcavFile } from './tcav-run.js';
export { metricsRun, METRICS_DEFAULTS, type MetricsRunOptions, type MetricsFile } from './metrics-run.js';
export { embedRun, type EmbedRunOptions, type EmbedFile } from './embed-run.js';
export {
  RUN_FILE_FORMATS,
  checkRunFile,
  readRunEnvelope,
  writeRunEnvelope,
  type RunFileEnvelope,
  type RunInputs,
  type RunFileKind,
  type AnalysisFileKind,
} from './run-file.js';
export type { RunLog, ProgressSink } from './run-log.js';

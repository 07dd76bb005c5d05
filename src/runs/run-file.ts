// The one schema of a run folder's analysis files. rank.json, explain/map-<k>.json, tcav.json,
// metrics.json and embed-<method>.json are written by src/runs/*-run.ts and read by the report, the
// explorer and explain as one envelope, {format, version, created, inputs, settings, result}: what went in
// (the run, the data, the cases, the target, the model's health), what was asked, what came out. Every
// reader checks the kind and version here, so a file of another latentlens, or another program's JSON
// under the same name, is refused with what to re-run instead of being half-read into wrong numbers.
// health.json is the training's record, not an analysis: it keeps its flat shape (src/train/health.ts).
import { readFileSync } from 'node:fs';
import type { TargetRecord } from '../data/target.js';
import { writeJsonAtomic } from '../util/atomic-write.js';
import { insideRun } from '../util/run-paths.js';
import type { HealthSummary } from './run-health.js';

/**
 * The version of each run file this latentlens writes and reads. An analysis file of an older version
 * (before the envelope) is refused with the command that rewrites it: its numbers may mean something else.
 */
export const RUN_FILE_FORMATS = {
  rank: { format: 'latentlens-rank', version: 3, command: 'rank' },
  explain: { format: 'latentlens-explain', version: 2, command: 'explain' },
  tcav: { format: 'latentlens-tcav', version: 3, command: 'tcav' },
  // metrics 2, embed 2: one pooling vocabulary ('grid', was 'flatten'; embed's settings.pool became pooling).
  metrics: { format: 'latentlens-metrics', version: 2, command: 'metrics' },
  embed: { format: 'latentlens-embed', version: 2, command: 'embed' },
  health: { format: 'latentlens-health', version: 1, command: 'train' },
} as const;

export type RunFileKind = keyof typeof RUN_FILE_FORMATS;
export type AnalysisFileKind = Exclude<RunFileKind, 'health'>;

/** What every analysis read: the same fields in every file, so the report and the explorer describe them alike. */
export interface RunInputs {
  /** The run folder as it was given. */
  run: string;
  /** The data spec the cases came from. */
  data: string;
  /** The split (all, train, val, test). */
  split: string;
  /** How many cases the analysis used. */
  cases: number;
  /** The target the analysis contrasted (absent when it used none). */
  target?: TargetRecord;
  /** The model's health when the analysis ran. */
  health?: HealthSummary;
}

export interface RunFileEnvelope<R, I extends RunInputs = RunInputs, S = Record<string, unknown>> {
  format: string;
  version: number;
  /** ISO time of writing. */
  created: string;
  inputs: I;
  /** The options the analysis ran with. */
  settings: S;
  result: R;
}

/** An envelope without its stamp: what an analysis hands to `writeRunEnvelope`. */
export type EnvelopeParts<R, I extends RunInputs = RunInputs, S = Record<string, unknown>> = Pick<
  RunFileEnvelope<R, I, S>,
  'inputs' | 'settings' | 'result'
>;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Throws when `value` (parsed from `path`) is not a JSON object, names another format, or has another
 * version than this latentlens writes (health.json: a newer one; its older versions are read as they are).
 * The message names the file and what to do.
 */
export function checkRunFile(kind: RunFileKind, value: unknown, path: string): void {
  const want = RUN_FILE_FORMATS[kind];
  if (!isObject(value))
    throw new Error(
      `${path}: expected a JSON object (a ${want.format} file), got ${Array.isArray(value) ? 'an array' : String(value === null ? 'null' : typeof value)}`,
    );
  const { format, version } = value;
  if (format !== undefined && format !== want.format)
    throw new Error(`${path}: its format is ${JSON.stringify(format)}, not ${want.format}: not a file latentlens ${want.command} wrote`);
  if (version !== undefined && !(typeof version === 'number' && Number.isInteger(version) && version >= 1))
    throw new Error(`${path}: version ${JSON.stringify(version)} is not a positive whole number`);
  const v = version as number | undefined;
  if (v !== undefined && v > want.version)
    throw new Error(
      `${path} is ${want.format} version ${v}; this latentlens reads up to version ${want.version}: update latentlens, or re-run 'latentlens ${want.command}' to rewrite it`,
    );
  if (kind === 'health') return;
  if (format === undefined || v === undefined || v < want.version) {
    throw new Error(
      `${path} was written by an older latentlens (${format === undefined ? 'no format' : `${want.format} version ${String(v)}`}; this one reads version ${want.version}): re-run 'latentlens ${want.command}' to rewrite it`,
    );
  }
  for (const part of ['inputs', 'settings', 'result'] as const) {
    if (!isObject(value[part]))
      throw new Error(`${path}: its '${part}' is not an object: not a complete ${want.format} file; re-run 'latentlens ${want.command}'`);
  }
}

/** The envelope of analysis `kind` in `path`, checked (throws with the reason when it cannot be used). */
export function readRunEnvelope<R, I extends RunInputs = RunInputs, S = Record<string, unknown>>(
  kind: AnalysisFileKind,
  path: string,
): RunFileEnvelope<R, I, S> {
  const value: unknown = JSON.parse(readFileSync(path, 'utf8'));
  checkRunFile(kind, value, path);
  return value as RunFileEnvelope<R, I, S>;
}

/** The complete envelope of `parts`, stamped with the kind's format, version and the time. */
export function runEnvelope<R, I extends RunInputs, S>(kind: AnalysisFileKind, parts: EnvelopeParts<R, I, S>): RunFileEnvelope<R, I, S> {
  const { format, version } = RUN_FILE_FORMATS[kind];
  return { format, version, created: new Date().toISOString(), inputs: parts.inputs, settings: parts.settings, result: parts.result };
}

/**
 * Writes analysis `kind` atomically as an envelope: at `rel` inside run folder `dir` (checked not to leave
 * it), or at `out` when the user named another file. Returns the envelope and where it went.
 */
export function writeRunEnvelope<R, I extends RunInputs, S>(
  dir: string,
  rel: string,
  kind: AnalysisFileKind,
  parts: EnvelopeParts<R, I, S>,
  out?: string,
): { envelope: RunFileEnvelope<R, I, S>; path: string } {
  const envelope = runEnvelope(kind, parts);
  const path = out ?? insideRun(dir, rel);
  writeJsonAtomic(path, envelope);
  return { envelope, path };
}

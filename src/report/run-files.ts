// Reads every file of a run folder the report shows. Nothing is recomputed here (DESIGN.md "Layers"):
// an analysis whose file is absent is reported as absent, and one that cannot be parsed as unreadable,
// so one broken file never takes the whole report down.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import type { EpochRecord, StepRecord } from '../train/state.js';
import { readRunConfig, type RunConfig } from '../train/run-folder.js';
import { HEALTH_FILE, type HealthRecord } from '../train/health.js';
import { checkRunFile, readRunEnvelope, type AnalysisFileKind } from '../runs/run-file.js';
import type { RankFile } from '../runs/rank-run.js';
import type { ExplainFile, ExplainFileResult } from '../runs/explain-run.js';
import type { VolumeExplainFile, VolumeExplainFileResult } from '../runs/explain-volumes-run.js';
import type { TcavFile } from '../runs/tcav-run.js';
import type { MetricsFile } from '../runs/metrics-run.js';
import type { EmbedFile } from '../runs/embed-run.js';

export type { RankFile, ExplainFile, ExplainFileResult, VolumeExplainFile, VolumeExplainFileResult, TcavFile, MetricsFile, EmbedFile };

export type FileRead<T> = { status: 'absent' } | { status: 'error'; error: string } | { status: 'ok'; value: T };

export interface RunFiles {
  dir: string;
  config: RunConfig;
  steps: StepRecord[];
  epochs: EpochRecord[];
  rank: FileRead<RankFile>;
  explains: { map: number; file: string; read: FileRead<ExplainFile | VolumeExplainFile> }[];
  embeds: { method: string; read: FileRead<EmbedFile>; png: Uint8Array | null }[];
  tcav: FileRead<TcavFile>;
  metrics: FileRead<MetricsFile>;
  /** health.json (src/train/health.ts): absent for runs made before the health check and not analysed since. */
  health: FileRead<HealthRecord>;
}

export const EMBED_METHODS = ['pca', 'tsne', 'umap'] as const;

function readAnalysis<T>(kind: AnalysisFileKind, path: string): FileRead<T> {
  if (!existsSync(path)) return { status: 'absent' };
  try {
    return { status: 'ok', value: readRunEnvelope(kind, path) as T };
  } catch (err) {
    return { status: 'error', error: (err as Error).message };
  }
}

function readHealthFile(path: string): FileRead<HealthRecord> {
  if (!existsSync(path)) return { status: 'absent' };
  try {
    const value: unknown = JSON.parse(readFileSync(path, 'utf8'));
    checkRunFile('health', value, path);
    return { status: 'ok', value: value as HealthRecord };
  } catch (err) {
    return { status: 'error', error: (err as Error).message };
  }
}

/**
 * A PNG of the run folder by its path relative to the folder, or null. Paths come from JSON files, so
 * a path that leaves the folder, or is not a .png, is refused rather than read.
 */
export function readRunPng(dir: string, rel: string): Uint8Array | null {
  const root = resolve(dir);
  const path = resolve(root, rel);
  if (!path.startsWith(root + sep) || !/\.png$/i.test(path) || !existsSync(path)) return null;
  const bytes = readFileSync(path);
  // Only real PNGs are inlined: the data: URI claims image/png.
  return bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) ? bytes : null;
}

function readTrainLog(path: string): { steps: StepRecord[]; epochs: EpochRecord[] } {
  const steps: StepRecord[] = [];
  const epochs: EpochRecord[] = [];
  if (!existsSync(path)) return { steps, epochs };
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let r: { type?: string };
    try {
      r = JSON.parse(line) as { type?: string };
    } catch {
      continue; // a line cut short by a crash
    }
    if (r.type === 'step') steps.push(r as StepRecord);
    else if (r.type === 'epoch') epochs.push(r as EpochRecord);
  }
  return { steps, epochs };
}

export function readRunFiles(dir: string): RunFiles {
  const config = readRunConfig(dir);
  const explainDir = join(dir, 'explain');
  const explains = existsSync(explainDir)
    ? readdirSync(explainDir)
        .map((f) => /^map-(\d+)\.json$/.exec(f))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => ({
          map: Number(m[1]),
          file: relative(dir, join(explainDir, m[0])),
          read: readAnalysis<ExplainFile | VolumeExplainFile>('explain', join(explainDir, m[0])),
        }))
        .sort((a, b) => a.map - b.map)
    : [];
  const embeds = EMBED_METHODS.map((method) => ({
    method,
    read: readAnalysis<EmbedFile>('embed', join(dir, `embed-${method}.json`)),
    png: readRunPng(dir, join('figures', `embed-${method}.png`)),
  })).filter((e) => e.read.status !== 'absent' || e.png);
  return {
    dir,
    config,
    ...readTrainLog(join(dir, 'train.jsonl')),
    rank: readAnalysis<RankFile>('rank', join(dir, 'rank.json')),
    explains,
    embeds,
    tcav: readAnalysis<TcavFile>('tcav', join(dir, 'tcav.json')),
    metrics: readAnalysis<MetricsFile>('metrics', join(dir, 'metrics.json')),
    health: readHealthFile(join(dir, HEALTH_FILE)),
  };
}

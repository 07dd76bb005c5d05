// What the analysis commands share: open a run folder, reload its data (the spec it was trained on, or
// another one), check it fits the model, pick the cases of a split, and print the model's health warning
// when it failed the health check (run-health.ts), so no analysis of a failed model goes out silently.
import { loadDataset } from '../data/spec.js';
import type { ImageDataset } from '../data/types.js';
import { tensor, type Tensor } from '../engine/index.js';
import { openRun, type OpenedRun } from '../train/index.js';
import { takeRows } from '../util/rows.js';
import { currentWeights, printHealth, recordedHealth, runHealth, type RunHealth } from './run-health.js';

export const SPLITS = ['all', 'train', 'val', 'test'] as const;
export type SplitChoice = (typeof SPLITS)[number];

export interface RunCases {
  run: OpenedRun;
  data: ImageDataset;
  dataSpec: string;
  /** Indices of the cases used (the chosen split, capped by maxCases), into the dataset. */
  indices: Int32Array;
  /** The model's health (health.json, or computed now for a run without one). */
  health: RunHealth;
}

export interface OpenRunOptions {
  data?: string;
  split?: SplitChoice;
  maxCases?: number;
  /**
   * true (default): read the run's health, computing and recording it when absent, and print the warning
   * of a failed model; 'read': read health.json only, print nothing (the explorer, which only reads files).
   */
  health?: true | 'read';
}

export async function openRunCases(dir: string, o: OpenRunOptions = {}): Promise<RunCases> {
  const run = openRun(dir);
  const dataSpec = o.data ?? (typeof run.config.dataSpec === 'string' ? run.config.dataSpec : undefined);
  if (!dataSpec) throw new Error(`${dir}/config.json records no data spec: pass --data <spec>`);
  const data = await loadDataset(dataSpec);
  const [n, c, h, w] = data.shape;
  const want = run.config.model.inputShape;
  if (want && (want[0] !== c || want[1] !== h || want[2] !== w)) {
    throw new Error(`data ${dataSpec} is ${c}x${h}x${w} per case, the model in ${dir} takes ${want.join('x')}`);
  }
  const split = o.split ?? 'all';
  if (!SPLITS.includes(split)) throw new Error(`--split ${split}: expected one of ${SPLITS.join(', ')}`);
  if (split !== 'all' && !data.splits) throw new Error(`data ${dataSpec} has no splits: use --split all`);
  let indices = split === 'all' ? Int32Array.from({ length: n }, (_, i) => i) : Int32Array.from(data.splits![split]);
  if (o.maxCases && indices.length > o.maxCases) indices = indices.slice(0, o.maxCases);
  const health = o.health === 'read' ? runHealth(run, null) : runHealth(run, data, { dataSpec });
  if (o.health !== 'read') printHealth(health);
  return { run, data, dataSpec, indices, health };
}

export interface RunData extends RunCases {
  /** The chosen cases' images, N x C x H x W. */
  x: Tensor;
  labels?: Int32Array;
  masks?: { name: string; data: Uint8Array }[];
  /** The chosen cases' groups (subjects) where the source knows them (ImageDataset.groups). */
  groups?: string[];
  /** The chosen cases' positions within their groups (ImageDataset.sliceIndex). */
  sliceIndex?: Int32Array;
}

/** The chosen cases as a tensor, with their single-label labels, ground-truth masks, groups and slice indices. */
export async function loadRunData(dir: string, o: OpenRunOptions = {}): Promise<RunData> {
  const rc = await openRunCases(dir, o);
  const { data, indices } = rc;
  const [, c, h, w] = data.shape;
  const labels = data.labels && (data.labelWidth ?? 1) === 1 ? takeRows(data.labels, 1, indices) : undefined;
  const masks = data.masks?.map((m) => ({ name: m.name, data: takeRows(m.data, h * w, indices) }));
  const groups = data.groups && Array.from(indices, (i) => data.groups![i]!);
  const sliceIndex = data.sliceIndex && Int32Array.from(indices, (i) => data.sliceIndex![i]!);
  return { ...rc, x: tensor(takeRows(data.images, c * h * w, indices), [indices.length, c, h, w]), labels, masks, groups, sliceIndex };
}

/**
 * For analyses that open the run themselves (embed): prints the run's health from health.json, or opens
 * the run and its data to compute it (as the other analyses do) when there is none for its weights.
 */
export async function printRunHealth(dir: string, data?: string): Promise<RunHealth> {
  const recorded = recordedHealth(dir, currentWeights(dir));
  if (recorded) {
    const h: RunHealth = { status: 'recorded', record: recorded };
    printHealth(h);
    return h;
  }
  const rc = await openRunCases(dir, { data });
  rc.run.model.dispose();
  return rc.health;
}

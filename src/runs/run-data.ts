// What the analysis commands share: open a run folder, reload its data (the spec it was trained on, or
// another one), check it fits the model, pick the cases of a split, and print the model's health warning
// when it failed the health check (run-health.ts), so no analysis of a failed model goes out silently.
import { loadCases, loadDataset } from '../data/spec.js';
import { caseSize, maskSize, type CaseDataset, type ImageDataset } from '../data/types.js';
import { tensor, type Tensor } from '../engine/index.js';
import { openRun, type OpenedRun } from '../train/index.js';
import { takeRows } from '../util/rows.js';
import { printHealth, runHealth, type RunHealth } from './run-health.js';

export const SPLITS = ['all', 'train', 'val', 'test'] as const;
export type SplitChoice = (typeof SPLITS)[number];

/** The loaded cases of a run: 2D images (`D` = ImageDataset), or either kind for commands that take volumes. */
export interface RunCases<D extends CaseDataset = ImageDataset> {
  run: OpenedRun;
  data: D;
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
  /** The command the cases are for, named when volumes are refused (see `volumes`). */
  command?: string;
  /**
   * true: the command handles volumes (N x C x D x H x W), so data holding them is loaded as such.
   * Default false: volumes are refused with a DataError naming `command` and the 2D readings to use.
   */
  volumes?: boolean;
  /** Where the health warning is printed (default console.log). */
  log?: (line: string) => void;
}

/** OpenRunOptions of a command that takes volumes. */
export type OpenRunVolumeOptions = OpenRunOptions & { volumes: true };

export async function openRunCases(dir: string, o: OpenRunVolumeOptions): Promise<RunCases<CaseDataset>>;
export async function openRunCases(dir: string, o?: OpenRunOptions): Promise<RunCases>;
export async function openRunCases(dir: string, o: OpenRunOptions = {}): Promise<RunCases<CaseDataset>> {
  const run = openRun(dir);
  const dataSpec = o.data ?? (typeof run.config.dataSpec === 'string' ? run.config.dataSpec : undefined);
  if (!dataSpec) throw new Error(`${dir}/config.json records no data spec: pass --data <spec>`);
  const want = run.config.model.inputShape;
  // A 3D model (inputShape C x D x H x W) in a command without volumes: say so before reading any data.
  if (want && want.length === 4 && !o.volumes)
    throw new Error(
      `${o.command ?? 'this command'} takes 2D models only; ${dir} holds a 3D model (input ${want.join('x')}). Volumes work in train, import, rank, explain, tcav, metrics, embed, report, serve and data inspect`,
    );
  const data: CaseDataset = o.volumes ? await loadCases(dataSpec) : await loadDataset(dataSpec, { command: o.command });
  const n = data.shape[0];
  const per = data.shape.slice(1);
  if (want && want.join('x') !== per.join('x')) {
    const hint =
      per.length === 4 && want.length === 3
        ? ' (the data holds volumes; a 2D model was trained on 2D readings of them, e.g. --data <spec>?volumes=middle)'
        : '';
    throw new Error(`data ${dataSpec} is ${per.join('x')} per case, the model in ${dir} takes ${want.join('x')}${hint}`);
  }
  const split = o.split ?? 'all';
  if (!SPLITS.includes(split)) throw new Error(`--split ${split}: expected one of ${SPLITS.join(', ')}`);
  if (split !== 'all' && !data.splits) throw new Error(`data ${dataSpec} has no splits: use --split all`);
  let indices = split === 'all' ? Int32Array.from({ length: n }, (_, i) => i) : Int32Array.from(data.splits![split]);
  if (o.maxCases && indices.length > o.maxCases) indices = indices.slice(0, o.maxCases);
  const health = o.health === 'read' ? runHealth(run, null) : runHealth(run, data, { dataSpec });
  if (o.health !== 'read') printHealth(health, o.log);
  return { run, data, dataSpec, indices, health };
}

export interface RunData<D extends CaseDataset = ImageDataset> extends RunCases<D> {
  /** The chosen cases' images, N x C x H x W (volumes: N x C x D x H x W). */
  x: Tensor;
  labels?: Int32Array;
  masks?: { name: string; data: Uint8Array }[];
  /** The chosen cases' groups (subjects) where the source knows them (ImageDataset.groups). */
  groups?: string[];
  /** The chosen cases' positions within their groups (ImageDataset.sliceIndex). */
  sliceIndex?: Int32Array;
}

/** The chosen cases as a tensor, with their single-label labels, ground-truth masks, groups and slice indices. */
export async function loadRunData(dir: string, o: OpenRunVolumeOptions): Promise<RunData<CaseDataset>>;
export async function loadRunData(dir: string, o?: OpenRunOptions): Promise<RunData>;
export async function loadRunData(dir: string, o: OpenRunOptions = {}): Promise<RunData<CaseDataset>> {
  const rc = await openRunCases(dir, { ...o, volumes: o.volumes === true } as OpenRunVolumeOptions);
  const { data, indices } = rc;
  const labels = data.labels && (data.labelWidth ?? 1) === 1 ? takeRows(data.labels, 1, indices) : undefined;
  const masks = data.masks?.map((m) => ({ name: m.name, data: takeRows(m.data, maskSize(data), indices) }));
  const groups = data.groups && Array.from(indices, (i) => data.groups![i]!);
  const sliceIndex = data.sliceIndex && Int32Array.from(indices, (i) => data.sliceIndex![i]!);
  return {
    ...rc,
    x: tensor(takeRows(data.images, caseSize(data), indices), [indices.length, ...data.shape.slice(1)]),
    labels,
    masks,
    groups,
    sliceIndex,
  };
}

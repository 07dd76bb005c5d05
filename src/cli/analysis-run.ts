// What the tcav and metrics commands share: open a run folder, reload the data it was trained on (or
// another spec) and encode the chosen cases to latent maps.
import { loadDataset } from '../data/spec.js';
import type { ImageDataset } from '../data/types.js';
import { encodeLatents, type LatentMaps } from '../metrics/latents.js';
import { openRun, type OpenedRun } from '../train/index.js';

export interface EncodedRun {
  run: OpenedRun;
  data: ImageDataset;
  dataSpec: string;
  /** Cases used, as indices into the dataset. */
  indices: Int32Array;
  maps: LatentMaps;
}

export const SPLITS = ['all', 'train', 'val', 'test'] as const;
export type SplitChoice = (typeof SPLITS)[number];

export async function encodeRun(dir: string, o: { data?: string; split?: SplitChoice; batch?: number }): Promise<EncodedRun> {
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
  const indices = split === 'all' ? Int32Array.from({ length: n }, (_, i) => i) : Int32Array.from(data.splits![split]);
  const per = c * h * w;
  const images = new Float32Array(indices.length * per);
  indices.forEach((i, j) => images.set(data.images.subarray(i * per, (i + 1) * per), j * per));
  const maps = encodeLatents(run.model, images, [indices.length, c, h, w], o.batch ?? 128);
  return { run, data, dataSpec, indices, maps };
}

/** Rows of a row-major N x width array at `indices`. */
export function pickRows<T extends Float32Array | Int32Array>(values: T, width: number, indices: Int32Array): T {
  const out = new (values.constructor as new (n: number) => T)(indices.length * width);
  indices.forEach((i, j) => out.set(values.subarray(i * width, (i + 1) * width), j * width));
  return out;
}

export function positiveInt(flag: string, v: string): number {
  const n = Number(v);
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`${flag} ${v}: expected a positive integer`);
  return n;
}

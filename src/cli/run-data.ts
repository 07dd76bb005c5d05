// What the analysis commands share: open a run folder, reload its data (the spec it was trained on, or
// another one), pick a split, and hold the images as a tensor.
import { loadDataset } from '../data/spec.js';
import type { ImageDataset } from '../data/types.js';
import { tensor, type Tensor } from '../engine/index.js';
import { openRun, type OpenedRun } from '../train/index.js';

export interface RunData {
  run: OpenedRun;
  data: ImageDataset;
  /** Indices of the cases used (the chosen split). */
  indices: number[];
  /** Those cases' images, N x C x H x W. */
  x: Tensor;
  labels?: Int32Array;
  masks?: { name: string; data: Uint8Array }[];
}

export async function loadRunData(dir: string, o: { data?: string; split?: 'train' | 'val' | 'test' | 'all'; maxCases?: number } = {}): Promise<RunData> {
  const run = openRun(dir);
  const spec = o.data ?? (typeof run.config.dataSpec === 'string' ? run.config.dataSpec : undefined);
  if (!spec) throw new Error(`${dir}/config.json records no data spec: pass --data <spec>`);
  const data = await loadDataset(spec);
  const [n, c, h, w] = data.shape;
  const want = run.config.model.inputShape;
  if (want && (want[0] !== c || want[1] !== h || want[2] !== w)) {
    throw new Error(`data ${spec} is ${c}x${h}x${w} per case, the model in ${dir} takes ${want.join('x')}`);
  }
  const split = o.split ?? 'all';
  let indices = split === 'all' || !data.splits ? Array.from({ length: n }, (_, i) => i) : Array.from(data.splits[split]);
  if (o.maxCases && indices.length > o.maxCases) indices = indices.slice(0, o.maxCases);
  const len = c * h * w;
  const pixels = new Float32Array(indices.length * len);
  indices.forEach((i, j) => pixels.set(data.images.subarray(i * len, (i + 1) * len), j * len));
  const width = data.labelWidth ?? 1;
  const labels = data.labels && width === 1 ? Int32Array.from(indices, (i) => data.labels![i]!) : undefined;
  const masks = data.masks?.map((m) => {
    const sub = new Uint8Array(indices.length * h * w);
    indices.forEach((i, j) => sub.set(m.data.subarray(i * h * w, (i + 1) * h * w), j * h * w));
    return { name: m.name, data: sub };
  });
  return { run, data, indices, x: tensor(pixels, [indices.length, c, h, w]), labels, masks };
}

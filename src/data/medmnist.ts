// MedMNIST .npz files: every 2D and 3D subset and size variant, all three splits, looked up by
// name the way MedMNIST does (~/.medmnist/<flag>[_<size>].npz) or read from a path.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { DataError, assertFinite, dataWarning } from './errors.js';
import { MEDMNIST_INFO } from './medmnist-info.js';
import { checkMemory } from './memory-budget.js';
import { openNpz, type NpyArray } from './npy.js';
import type { CaseDataset, ImageDataset, LabelTask, SplitName, VolumeDataset } from './types.js';

/** Options of `loadMedMNIST`. */
export interface MedMNISTOptions {
  /** Which split(s) to load. Default `'all'` (all three, with `splits` recording which is which). */
  split?: SplitName | 'all';
  /**
   * Folder to look names up in. Default: the `MEDMNIST_ROOT` environment variable, else `~/.medmnist`
   * (MedMNIST's own default). Both `<root>/<name>.npz` and `<root>/<flag>/<name>.npz` are tried.
   */
  root?: string;
  /**
   * How a 3D subset (N x D x H x W volumes) is read. `'volumes'` (default) keeps them volumes: a
   * VolumeDataset of N x 1 x D x H x W. The others make 2D images, only when asked: `'middle'` keeps the
   * middle slice along the first spatial axis, so N stays the number of volumes; `'channels'` makes the
   * D slices the channels (C = D); `'slices'` makes every slice a sample (N x D samples, labels repeated).
   */
  volumes?: VolumeReading;
  /**
   * How integer pixels other than uint8 become floats. Default: refused (uint8 pixels are divided by
   * 255, float pixels kept; int8/int16/uint16/int32/... have no agreed scale). `'range'` maps the
   * dtype's whole range to [0, 1] (int16: -32768 -> 0, 32767 -> 1) and warns; `'raw'` keeps every
   * stored value as it is (uint8 too; combine with a `norm`).
   */
  pixels?: 'range' | 'raw';
  /** Memory budget in bytes (see memory-budget.ts). Default: LATENTLENS_MEMORY_BUDGET, else half of this machine's memory. */
  memoryBudget?: number;
}

/** How a MedMNIST 3D subset is read: as volumes, or as 2D images in one of three ways. */
export type VolumeReading = 'volumes' | 'middle' | 'channels' | 'slices';
/** The readings that make 2D images of a 3D subset. */
export type SliceReading = Exclude<VolumeReading, 'volumes'>;
export const VOLUME_READINGS: readonly VolumeReading[] = ['volumes', 'middle', 'channels', 'slices'];

/** The default MedMNIST folder: `$MEDMNIST_ROOT` or `~/.medmnist`. */
export function defaultMedMNISTRoot(): string {
  return process.env.MEDMNIST_ROOT || join(homedir(), '.medmnist');
}

/** Splits a MedMNIST name like `pneumoniamnist_64` into flag and size (28 when absent). */
export function parseMedMNISTName(name: string): { flag: string; size: number } {
  const m = /^(.*?)(?:_(\d+))?$/.exec(name.toLowerCase())!;
  return { flag: m[1]!, size: m[2] ? Number(m[2]) : 28 };
}

/**
 * Finds the .npz for a name (`pneumoniamnist`, `organmnist3d_64`) or returns a path unchanged.
 * Throws a DataError listing the places it looked.
 */
export function resolveMedMNIST(nameOrPath: string, root = defaultMedMNISTRoot()): string {
  if (nameOrPath.endsWith('.npz') || nameOrPath.includes('/') || nameOrPath.includes('\\')) {
    if (!existsSync(nameOrPath)) throw new DataError(nameOrPath, 'file not found; expected a MedMNIST .npz file');
    return nameOrPath;
  }
  const { flag } = parseMedMNISTName(nameOrPath);
  const file = `${nameOrPath.toLowerCase()}.npz`;
  const candidates = [join(root, file), join(root, flag, file)];
  const found = candidates.find((p) => existsSync(p));
  if (found) return found;
  const known = MEDMNIST_INFO[flag] ? '' : ` ("${flag}" is not a known MedMNIST subset: ${Object.keys(MEDMNIST_INFO).join(', ')})`;
  throw new DataError(
    `medmnist:${nameOrPath}`,
    `no file found; looked for ${candidates.join(' and ')}${known}. Download it from MedMNIST, or set MEDMNIST_ROOT or the root option`,
  );
}

const SPLITS: SplitName[] = ['train', 'val', 'test'];

/**
 * Loads a MedMNIST subset by name or path. Pixels become float32 in [0, 1] (uint8 / 255; float pixels
 * kept; other integer dtypes refused unless `pixels` is given); grayscale subsets have one channel
 * `gray`, RGB subsets `R`, `G`, `B` (RGBA files `R`, `G`, `B`, `A`). Labels must be whole numbers; labels,
 * task and class names follow MedMNIST's INFO table (labels outside its classes are refused); files of
 * unknown subsets get classes `0`..max from their labels, with a warning when some have no cases.
 */
export async function loadMedMNIST(nameOrPath: string, options: MedMNISTOptions & { volumes: SliceReading }): Promise<ImageDataset>;
export async function loadMedMNIST(nameOrPath: string, options?: MedMNISTOptions): Promise<CaseDataset>;
export async function loadMedMNIST(nameOrPath: string, options: MedMNISTOptions = {}): Promise<CaseDataset> {
  const path = resolveMedMNIST(nameOrPath, options.root);
  const { flag } = parseMedMNISTName(basename(path).replace(/\.npz$/, ''));
  const info = MEDMNIST_INFO[flag];
  const wanted = options.split && options.split !== 'all' ? [options.split] : SPLITS;
  const names = wanted.flatMap((s) => [`${s}_images`, `${s}_labels`]);
  // The zip directory and the .npy headers first: shapes are checked and the memory loading takes is
  // sized before any array's data is read.
  const npz = openNpz(path, names);
  const headers = npz.arrays;
  const present = wanted.filter((s) => headers.has(`${s}_images`));
  if (present.length === 0) {
    npz.close();
    throw new DataError(
      path,
      `no ${wanted.map((s) => `${s}_images`).join('/')} array; expected a MedMNIST .npz with train_images, train_labels, val_images, ... (found: ${[...headers.keys()].join(', ') || 'none of them'})`,
    );
  }
  const skipped = wanted
    .filter((s) => !headers.has(`${s}_images`))
    .map((s) => ({ item: `${path}:${s}_images.npy`, reason: 'split not in file' }));

  // Work out the layout from the first split present. A subset's INFO says whether it holds volumes;
  // for other files an N x A x B x C array is channels when C is 1, 3 or 4, volumes only when the
  // volumes option says so, and refused otherwise (guessing would silently pick the wrong one).
  const first = headers.get(`${present[0]}_images`)!;
  const nd = first.shape.length;
  const volumetric = info ? info.volumetric : nd === 4 && options.volumes !== undefined;
  const volumes = options.volumes ?? 'volumes';
  let C: number, H: number, W: number, perCase: number; // perCase: samples per stored item
  let D = 1; // depth of a sample: 1 for 2D images, the volume's D when read as volumes
  let arrays: Map<string, NpyArray>;
  try {
    if (!volumetric) {
      if (nd === 3) [C, H, W] = [1, first.shape[1]!, first.shape[2]!];
      else if (nd === 4 && [1, 3, 4].includes(first.shape[3]!)) [C, H, W] = [first.shape[3]!, first.shape[1]!, first.shape[2]!];
      else {
        const volumeHint = info ? '' : ', or N x D x H x W volumes when the volumes option (volumes, middle, channels or slices) is given';
        const why =
          nd === 4
            ? `; a last axis of ${first.shape[3]} is not a channel count (1, 3 or 4)${info ? '' : ' and the file does not say it holds volumes'}`
            : '';
        throw new DataError(
          `${path}:${present[0]}_images.npy`,
          `shape (${first.shape.join(', ')})${why}; expected N x H x W (gray) or N x H x W x C with C = 1 (gray), 3 (RGB) or 4 (RGBA)${volumeHint}`,
        );
      }
      perCase = 1;
    } else {
      if (nd !== 4)
        throw new DataError(`${path}:${present[0]}_images.npy`, `shape (${first.shape.join(', ')}); expected N x D x H x W volumes`);
      const depth = first.shape[1]!;
      [H, W] = [first.shape[2]!, first.shape[3]!];
      C = volumes === 'channels' ? depth : 1;
      if (volumes === 'volumes') D = depth;
      perCase = volumes === 'slices' ? depth : 1;
    }
    // An images array without rows would give a split (or a dataset) without cases.
    const rows = (t: SplitName) => headers.get(`${t}_images`)!.shape[0] ?? 1;
    const empty = present.find((t) => rows(t) === 0);
    if (empty) {
      const others = present.filter((t) => rows(t) > 0);
      const hint = others.length
        ? `; load a split that has cases (${others.map((t) => `split=${t}`).join(', ')}) or remove the empty split's arrays from the file`
        : '';
      throw new DataError(
        path,
        `has 0 cases (shape (${headers.get(`${empty}_images`)!.shape.join(', ')})); expected at least one image in every split loaded${hint}`,
        `${empty}_images.npy`,
      );
    }
    // Memory: every array read is held until the dataset is built, plus the dataset's own arrays.
    let n2d = 0;
    let labelCells = 0;
    for (const s of present) {
      n2d += (headers.get(`${s}_images`)!.shape[0] ?? 0) * perCase;
      const lab = headers.get(`${s}_labels`);
      if (lab) labelCells += lab.shape.reduce((a, b) => a * b, 1) * perCase;
    }
    const held = [...headers.values()];
    checkMemory(
      path,
      [
        { what: `arrays as stored (${held.length})`, bytes: held.reduce((a, h) => a + h.outBytes, 0) },
        { what: 'reading one array', bytes: Math.max(...held.map((h) => h.readBytes)) },
        { what: 'float32 images', bytes: n2d * C * D * H * W * 4, elements: n2d * C * D * H * W },
        { what: 'labels', bytes: labelCells * 4 },
      ],
      options.memoryBudget,
    );
    arrays = new Map([...headers.keys()].map((k) => [k, npz.read(k)]));
  } finally {
    npz.close();
  }

  // Check every split, count samples.
  let N = 0;
  let labelWidth = 1;
  for (const s of present) {
    const img = arrays.get(`${s}_images`)!;
    const lab = arrays.get(`${s}_labels`);
    const entry = `${s}_images.npy`;
    if (img.shape.length !== nd || img.shape.slice(1).join() !== first.shape.slice(1).join()) {
      throw new DataError(
        path,
        `shape (${img.shape.join(', ')}) differs from ${present[0]}_images (${first.shape.join(', ')}); expected every split to have the same image shape`,
        entry,
      );
    }
    if (!lab) throw new DataError(path, `missing ${s}_labels.npy; expected labels for every split of images`);
    if (lab.shape[0] !== img.shape[0]) {
      throw new DataError(path, `${lab.shape[0]} labels for ${img.shape[0]} images; expected one label row per image`, `${s}_labels.npy`);
    }
    labelWidth = lab.shape.length > 1 ? lab.shape.slice(1).reduce((a, b) => a * b, 1) : 1;
    if (img.dtype.endsWith('f4') || img.dtype.endsWith('f8') || img.dtype.endsWith('f2')) assertFinite(img.data, img.shape, path, entry);
    checkPixelType(img, path, entry, options.pixels);
    checkFloatPixels(img, path, entry, options.pixels);
    checkIntegerLabels(lab, path, `${s}_labels.npy`);
    N += img.shape[0]! * perCase;
  }

  const plane = C * D * H * W;
  const images = new Float32Array(N * plane);
  const labels = new Int32Array(N * labelWidth);
  const ids: string[] = new Array(N);
  // volumes=slices: the slices of one volume are one group (they are correlated), at their slice index.
  const groups: string[] | null = perCase > 1 ? new Array<string>(N) : null;
  const sliceIndex = perCase > 1 ? new Int32Array(N) : null;
  const splitIdx: Record<SplitName, number[]> = { train: [], val: [], test: [] };
  let k = 0;
  for (const s of present) {
    const img = arrays.get(`${s}_images`)!;
    const lab = arrays.get(`${s}_labels`)!;
    const [scale, offset] = pixelScale(img.dtype, options.pixels);
    const n = img.shape[0]!;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < perCase; j++) {
        writeSample(img, i, j, volumetric, volumes, C, H, W, scale, offset, images.subarray(k * plane, (k + 1) * plane));
        for (let l = 0; l < labelWidth; l++) labels[k * labelWidth + l] = lab.data[i * labelWidth + l]!;
        ids[k] = perCase > 1 ? `${s}/${i}/slice ${j}` : `${s}/${i}`;
        if (groups && sliceIndex) {
          groups[k] = `${s}/${i}`;
          sliceIndex[k] = j;
        }
        splitIdx[s].push(k);
        k++;
      }
    }
  }

  let task: LabelTask;
  let classNames: string[];
  if (info) {
    task = info.task;
    classNames = [...info.classNames];
  } else {
    let max = 0;
    for (const v of labels) max = Math.max(max, v);
    const K = labelWidth > 1 ? labelWidth : max + 1;
    task = labelWidth > 1 ? 'multilabel' : K <= 2 ? 'binary' : 'multiclass';
    classNames = Array.from({ length: K }, (_, i) => String(i));
    // The file does not say how many classes there are: classes are 0..max, so a gap in the label
    // values (0 and 7 only) makes classes without cases. Say so instead of passing it silently.
    if (task !== 'multilabel') {
      const count = new Array<number>(K).fill(0);
      for (const v of labels) if (v >= 0 && v < K) count[v]!++;
      const empty = count.flatMap((c, i) => (c === 0 ? [i] : []));
      if (empty.length > 0) {
        const seen = count.flatMap((c, i) => (c > 0 ? [i] : []));
        dataWarning(
          path,
          `labels take the values ${listValues(seen)}, so ${K} classes 0..${K - 1} are made and ${empty.length} of them (${listValues(empty)}) have no cases. "${flag}" is not a MedMNIST subset whose classes latentlens knows; if the labels are codes rather than class numbers, renumber them 0..${seen.length - 1} (numpy: np.unique(y, return_inverse=True))`,
        );
      }
    }
  }
  const K = classNames.length;
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i]!;
    const ok = task === 'multilabel' ? v === 0 || v === 1 : v >= 0 && v < K;
    if (!ok) {
      const sample = Math.floor(i / labelWidth);
      throw new DataError(path, `label ${v} of ${ids[sample]}; expected ${task === 'multilabel' ? '0 or 1' : `0..${K - 1}`} (${flag})`);
    }
  }
  if (task === 'multilabel' && labelWidth !== K) {
    throw new DataError(path, `${labelWidth} label columns; expected ${K} for ${flag}`);
  }

  const fields = {
    channelNames: volumetric
      ? C === 1
        ? ['gray']
        : Array.from({ length: C }, (_, i) => `z${i}`)
      : C === 3
        ? ['R', 'G', 'B']
        : C === 4
          ? ['R', 'G', 'B', 'A']
          : ['gray'],
    labels,
    labelWidth,
    task,
    classNames,
    splits: { train: Int32Array.from(splitIdx.train), val: Int32Array.from(splitIdx.val), test: Int32Array.from(splitIdx.test) },
    ids,
    ...(groups && sliceIndex ? { groups, sliceIndex } : {}),
    skipped,
    source: `medmnist:${path}`,
  };
  if (volumetric && volumes === 'volumes') return { images, shape: [N, C, D, H, W], ...fields } satisfies VolumeDataset;
  return { images, shape: [N, C, H, W], ...fields } satisfies ImageDataset;
}

// Integer dtypes other than uint8 (and bool) have no agreed pixel scale: their [min, max] range.
const INT_RANGES: Record<string, { name: string; min: number; max: number }> = {
  i1: { name: 'int8', min: -128, max: 127 },
  i2: { name: 'int16', min: -32768, max: 32767 },
  u2: { name: 'uint16', min: 0, max: 65535 },
  i4: { name: 'int32', min: -(2 ** 31), max: 2 ** 31 - 1 },
  u4: { name: 'uint32', min: 0, max: 2 ** 32 - 1 },
  i8: { name: 'int64', min: -(2 ** 63), max: 2 ** 63 - 1 },
  u8: { name: 'uint64', min: 0, max: 2 ** 64 - 1 },
};

function valueRange(data: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let p = 0; p < data.length; p++) {
    const v = data[p]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

// Refuses integer pixels other than uint8 unless `pixels` says how to read them; warns for 'range'.
function checkPixelType(img: NpyArray, path: string, entry: string, pixels: MedMNISTOptions['pixels']): void {
  const r = INT_RANGES[img.dtype.slice(1)];
  if (!r || pixels === 'raw') return;
  const [lo, hi] = valueRange(img.data);
  const stored = img.data.length ? `values ${lo}..${hi}` : 'no values';
  if (pixels === 'range') {
    dataWarning(
      path,
      `${r.name} pixels (${stored}) scaled by the dtype's range: ${r.min} -> 0, ${r.max} -> 1 (pixels=range); they occupy ${((lo - r.min) / (r.max - r.min)).toFixed(4)}..${((hi - r.min) / (r.max - r.min)).toFixed(4)}`,
      entry,
    );
    return;
  }
  throw new DataError(
    path,
    `pixels are ${r.name} (dtype '${img.dtype}', ${stored}); expected uint8 (read as x / 255) or float pixels. ` +
      `Convert the file (numpy: x.astype(np.uint8) when the values are 0..255, else ((x - x.min()) / (x.max() - x.min())).astype(np.float32)), ` +
      `or pass pixels=range to scale the ${r.name} range [${r.min}, ${r.max}] to [0, 1], or pixels=raw to keep the stored values (then normalise, e.g. norm=zscore)`,
    entry,
  );
}

// Float pixels are kept as stored: whole numbers above 1.5 are 8-bit (or other integer) pixels saved as
// float, which would pass as 0..255 where uint8 files give 0..1. Refused unless pixels=raw.
function checkFloatPixels(img: NpyArray, path: string, entry: string, pixels: MedMNISTOptions['pixels']): void {
  const bits = { f2: 16, f4: 32, f8: 64 }[img.dtype.slice(1)];
  if (!bits || pixels === 'raw' || img.data.length === 0) return;
  const d = img.data;
  let lo = Infinity;
  let hi = -Infinity;
  for (let p = 0; p < d.length; p++) {
    const v = d[p]!;
    if (!Number.isInteger(v)) return;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (hi <= 1.5) return;
  const eight = lo >= 0 && hi <= 255;
  throw new DataError(
    path,
    `float${bits} pixels that are all whole numbers ${lo}..${hi}: ${eight ? '8-bit pixels' : 'integer pixels'} stored as float (uint8 files are read as x / 255, float pixels as stored, so these would stay ${lo}..${hi}); expected float pixels in [0, 1]. ` +
      `Convert the file (numpy: ${eight ? 'x.astype(np.uint8), or (x / 255).astype(np.float32)' : '((x - x.min()) / (x.max() - x.min())).astype(np.float32)'}), or pass pixels=raw to keep the stored values (then normalise, e.g. norm=zscore)`,
    entry,
  );
}

// Scale and offset taking stored pixel values to floats: value * scale + offset.
function pixelScale(dtype: string, pixels: MedMNISTOptions['pixels']): [number, number] {
  if (pixels === 'raw') return [1, 0];
  const kind = dtype.slice(1);
  if (kind === 'u1') return [1 / 255, 0];
  const r = INT_RANGES[kind];
  if (r) return [1 / (r.max - r.min), -r.min / (r.max - r.min)];
  return [1, 0];
}

// Labels must be whole numbers: 0.5 or 1.5 would otherwise be truncated into a class.
function checkIntegerLabels(lab: NpyArray, path: string, entry: string): void {
  const d = lab.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (Number.isInteger(v) && Math.abs(v) < 2 ** 31) continue;
    const idx: number[] = [];
    let rest = i;
    for (let a = lab.shape.length - 1; a >= 0; a--) {
      idx.unshift(rest % lab.shape[a]!);
      rest = Math.floor(rest / lab.shape[a]!);
    }
    throw new DataError(
      path,
      `label [${idx.join(', ')}] is ${v}; expected whole-number class labels (0, 1, 2, ...${Number.isInteger(v) ? ' below 2^31' : ''})`,
      entry,
    );
  }
}

// "0, 7" or "1-6" or "1-3, 5": a sorted list of integers, runs joined.
function listValues(values: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < values.length; i++) {
    let j = i;
    while (j + 1 < values.length && values[j + 1] === values[j]! + 1) j++;
    parts.push(j > i + 1 ? `${values[i]}-${values[j]}` : j === i + 1 ? `${values[i]}, ${values[j]}` : `${values[i]}`);
    i = j;
  }
  return parts.join(', ');
}

// Copies sample i (slice j for 'slices') into dst as C x H x W float32 (stored value * scale + offset).
function writeSample(
  img: NpyArray,
  i: number,
  j: number,
  volumetric: boolean,
  volumes: string,
  C: number,
  H: number,
  W: number,
  scale: number,
  offset: number,
  dst: Float32Array,
): void {
  const src = img.data;
  const HW = H * W;
  if (!volumetric) {
    const base = i * C * HW;
    if (C === 1) for (let p = 0; p < HW; p++) dst[p] = src[base + p]! * scale + offset;
    else for (let p = 0; p < HW; p++) for (let c = 0; c < C; c++) dst[c * HW + p] = src[base + p * C + c]! * scale + offset; // HWC -> CHW
    return;
  }
  const D = img.shape[1]!;
  const base = i * D * HW;
  // As volumes or as channels the stored D x H x W block is copied whole, in the same order.
  if (volumes === 'channels' || volumes === 'volumes') for (let q = 0; q < D * HW; q++) dst[q] = src[base + q]! * scale + offset;
  else {
    const z = volumes === 'slices' ? j : Math.floor(D / 2);
    for (let p = 0; p < HW; p++) dst[p] = src[base + z * HW + p]! * scale + offset;
  }
}

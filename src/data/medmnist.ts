// MedMNIST .npz files: every 2D and 3D subset and size variant, all three splits, looked up by
// name the way MedMNIST does (~/.medmnist/<flag>[_<size>].npz) or read from a path.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { DataError, assertFinite } from './errors.js';
import { MEDMNIST_INFO } from './medmnist-info.js';
import { readNpz, type NpyArray } from './npy.js';
import type { ImageDataset, LabelTask, SplitName } from './types.js';

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
   * How a 3D subset (N x D x H x W volumes) becomes 2D images: `'middle'` (default) keeps the middle
   * slice along the first spatial axis, so N stays the number of volumes; `'channels'` makes the D
   * slices the channels (C = D); `'slices'` makes every slice a sample (N x D samples, labels repeated).
   */
  volumes?: 'middle' | 'channels' | 'slices';
}

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
 * Loads a MedMNIST subset by name or path. Pixels become float32 in [0, 1] (uint8 / 255); grayscale
 * subsets have one channel `gray`, RGB subsets `R`, `G`, `B`. Labels, task and class names follow
 * MedMNIST's INFO table; files of unknown subsets get class names `0`, `1`, ... from their labels.
 */
export async function loadMedMNIST(nameOrPath: string, options: MedMNISTOptions = {}): Promise<ImageDataset> {
  const path = resolveMedMNIST(nameOrPath, options.root);
  const { flag } = parseMedMNISTName(basename(path).replace(/\.npz$/, ''));
  const info = MEDMNIST_INFO[flag];
  const wanted = options.split && options.split !== 'all' ? [options.split] : SPLITS;
  const names = wanted.flatMap((s) => [`${s}_images`, `${s}_labels`]);
  const arrays = readNpz(path, names);
  const present = wanted.filter((s) => arrays.has(`${s}_images`));
  if (present.length === 0) {
    throw new DataError(path, `no ${wanted.map((s) => `${s}_images`).join('/')} array; expected a MedMNIST .npz with train_images, train_labels, val_images, ... (found: ${[...arrays.keys()].join(', ') || 'none of them'})`);
  }
  const skipped = wanted.filter((s) => !arrays.has(`${s}_images`)).map((s) => ({ item: `${path}:${s}_images.npy`, reason: 'split not in file' }));

  // Work out the layout from the first split present.
  const first = arrays.get(`${present[0]}_images`)!;
  const nd = first.shape.length;
  const volumetric = info ? info.volumetric : nd === 4 && first.shape[3] !== 3;
  const volumes = options.volumes ?? 'middle';
  let C: number, H: number, W: number, perCase: number; // perCase: 2D samples per stored item
  if (!volumetric) {
    if (nd === 3) [C, H, W] = [1, first.shape[1]!, first.shape[2]!];
    else if (nd === 4 && (first.shape[3] === 3 || first.shape[3] === 1)) [C, H, W] = [first.shape[3]!, first.shape[1]!, first.shape[2]!];
    else throw new DataError(`${path}:${present[0]}_images.npy`, `shape (${first.shape.join(', ')}); expected N x H x W or N x H x W x 3`);
    perCase = 1;
  } else {
    if (nd !== 4) throw new DataError(`${path}:${present[0]}_images.npy`, `shape (${first.shape.join(', ')}); expected N x D x H x W volumes`);
    const D = first.shape[1]!;
    [H, W] = [first.shape[2]!, first.shape[3]!];
    C = volumes === 'channels' ? D : 1;
    perCase = volumes === 'slices' ? D : 1;
  }

  // Check every split, count samples.
  let N = 0;
  let labelWidth = 1;
  for (const s of present) {
    const img = arrays.get(`${s}_images`)!;
    const lab = arrays.get(`${s}_labels`);
    const entry = `${s}_images.npy`;
    if (img.shape.length !== nd || img.shape.slice(1).join() !== first.shape.slice(1).join()) {
      throw new DataError(path, `shape (${img.shape.join(', ')}) differs from ${present[0]}_images (${first.shape.join(', ')}); expected every split to have the same image shape`, entry);
    }
    if (!lab) throw new DataError(path, `missing ${s}_labels.npy; expected labels for every split of images`);
    if (lab.shape[0] !== img.shape[0]) {
      throw new DataError(path, `${lab.shape[0]} labels for ${img.shape[0]} images; expected one label row per image`, `${s}_labels.npy`);
    }
    labelWidth = lab.shape.length > 1 ? lab.shape.slice(1).reduce((a, b) => a * b, 1) : 1;
    if (img.dtype.endsWith('f4') || img.dtype.endsWith('f8') || img.dtype.endsWith('f2')) assertFinite(img.data, img.shape, path, entry);
    N += img.shape[0]! * perCase;
  }

  const plane = C * H * W;
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
    const scale = img.dtype.endsWith('u1') ? 1 / 255 : 1;
    const n = img.shape[0]!;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < perCase; j++) {
        writeSample(img, i, j, volumetric, volumes, C, H, W, scale, images.subarray(k * plane, (k + 1) * plane));
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

  return {
    images,
    shape: [N, C, H, W],
    channelNames: volumetric ? (C === 1 ? ['gray'] : Array.from({ length: C }, (_, i) => `z${i}`)) : C === 3 ? ['R', 'G', 'B'] : ['gray'],
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
}

// Copies sample i (slice j for 'slices') into dst as C x H x W float32.
function writeSample(
  img: NpyArray, i: number, j: number, volumetric: boolean, volumes: string,
  C: number, H: number, W: number, scale: number, dst: Float32Array,
): void {
  const src = img.data;
  const HW = H * W;
  if (!volumetric) {
    const base = i * C * HW;
    if (C === 1) for (let p = 0; p < HW; p++) dst[p] = src[base + p]! * scale;
    else for (let p = 0; p < HW; p++) for (let c = 0; c < C; c++) dst[c * HW + p] = src[base + p * C + c]! * scale; // HWC -> CHW
    return;
  }
  const D = img.shape[1]!;
  const base = i * D * HW;
  if (volumes === 'channels') for (let q = 0; q < D * HW; q++) dst[q] = src[base + q]! * scale;
  else {
    const z = volumes === 'slices' ? j : Math.floor(D / 2);
    for (let p = 0; p < HW; p++) dst[p] = src[base + z * HW + p]! * scale;
  }
}

// Train/val/test splits: kept from the source where it has them, otherwise drawn with a seed.
import { Random } from '../core/random.js';
import { caseSize, maskSize, type CaseDataset, type SplitName, type Splits } from './types.js';

/** Options of `randomSplits`. */
export interface RandomSplitOptions {
  /** Fraction of samples for validation. Default 0.1. */
  val?: number;
  /** Fraction of samples for test. Default 0.2. */
  test?: number;
  /** Seed of the shuffle. Default 0. */
  seed?: number | string;
  /**
   * Single-label class of each sample: when given, each class is split in the same proportions
   * (stratified), so rare classes appear in every split.
   */
  stratify?: ArrayLike<number>;
}

/** Splits 0..n-1 at random into train/val/test (sorted index lists). */
export function randomSplits(n: number, options: RandomSplitOptions = {}): Splits {
  const valFrac = options.val ?? 0.1;
  const testFrac = options.test ?? 0.2;
  if (!(valFrac >= 0 && testFrac >= 0 && valFrac + testFrac <= 1)) {
    throw new RangeError(`split fractions must be >= 0 and sum to at most 1 (val ${valFrac}, test ${testFrac})`);
  }
  const rng = new Random(options.seed ?? 0);
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const key = options.stratify ? options.stratify[i]! : 0;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(i);
  }
  const train: number[] = [];
  const val: number[] = [];
  const test: number[] = [];
  // Cumulative rounding: each class gets its share, and the totals are exactly round(n * fraction).
  let before = 0;
  for (const key of [...groups.keys()].sort((a, b) => a - b)) {
    const members = rng.shuffle(groups.get(key)!);
    const after = before + members.length;
    const nTest = Math.round(after * testFrac) - Math.round(before * testFrac);
    const nVal = Math.min(Math.round(after * valFrac) - Math.round(before * valFrac), members.length - nTest);
    before = after;
    test.push(...members.slice(0, nTest));
    val.push(...members.slice(nTest, nTest + nVal));
    train.push(...members.slice(nTest + nVal));
  }
  const sorted = (a: number[]) => Int32Array.from(a).sort();
  return { train: sorted(train), val: sorted(val), test: sorted(test) };
}

/** Copies the samples at `indices` (in that order) into a new dataset; every per-sample field follows. */
export function subset<T extends CaseDataset>(ds: T, indices: ArrayLike<number>): T {
  const n = ds.shape[0];
  const plane = caseSize(ds);
  const cells = maskSize(ds); // one mask plane (H x W) or volume (D x H x W)
  const m = indices.length;
  for (let k = 0; k < m; k++) {
    const i = indices[k]!;
    if (!(Number.isInteger(i) && i >= 0 && i < n)) throw new RangeError(`subset index ${i} is outside 0..${n - 1}`);
  }
  const images = new Float32Array(m * plane);
  for (let k = 0; k < m; k++) {
    const i = indices[k]!;
    images.set(ds.images.subarray(i * plane, (i + 1) * plane), k * plane);
  }
  const out: T = {
    ...ds,
    images,
    shape: [m, ...ds.shape.slice(1)] as T['shape'],
    channelNames: [...ds.channelNames],
    skipped: [...ds.skipped],
  };
  delete out.splits;
  if (ds.labels) {
    const lw = ds.labelWidth ?? 1;
    const labels = new Int32Array(m * lw);
    for (let k = 0; k < m; k++) labels.set(ds.labels.subarray(indices[k]! * lw, (indices[k]! + 1) * lw), k * lw);
    out.labels = labels;
  }
  if (ds.factors) {
    const f = ds.factors.names.length;
    const values = new Float32Array(m * f);
    for (let k = 0; k < m; k++) values.set(ds.factors.values.subarray(indices[k]! * f, (indices[k]! + 1) * f), k * f);
    out.factors = { names: [...ds.factors.names], values };
  }
  if (ds.masks) {
    out.masks = ds.masks.map((mask) => {
      const data = new Uint8Array(m * cells);
      for (let k = 0; k < m; k++) data.set(mask.data.subarray(indices[k]! * cells, (indices[k]! + 1) * cells), k * cells);
      return { name: mask.name, channels: [...mask.channels], data };
    });
  }
  if (ds.ids) out.ids = Array.from({ length: m }, (_, k) => ds.ids![indices[k]!]!);
  if (ds.groups) out.groups = Array.from({ length: m }, (_, k) => ds.groups![indices[k]!]!);
  if (ds.sliceIndex) out.sliceIndex = Int32Array.from({ length: m }, (_, k) => ds.sliceIndex![indices[k]!]!);
  if (ds.columns) {
    out.columns = Object.fromEntries(
      Object.entries(ds.columns).map(([key, col]) => [key, Array.from({ length: m }, (_, k) => col[indices[k]!]!)]),
    );
  }
  // Keep the split membership of the kept samples, renumbered.
  if (ds.splits) {
    const where = new Int8Array(n).fill(-1);
    const names: SplitName[] = ['train', 'val', 'test'];
    names.forEach((s, si) => ds.splits![s].forEach((i) => (where[i] = si)));
    const lists: number[][] = [[], [], []];
    for (let k = 0; k < m; k++) {
      const s = where[indices[k]!]!;
      if (s >= 0) lists[s]!.push(k);
    }
    out.splits = { train: Int32Array.from(lists[0]!), val: Int32Array.from(lists[1]!), test: Int32Array.from(lists[2]!) };
  }
  return out;
}

/** The samples of one split as their own dataset (its `splits` then holds only that split). */
export function takeSplit<T extends CaseDataset>(ds: T, split: SplitName): T {
  if (!ds.splits) throw new Error(`dataset from ${ds.source} has no splits; use randomSplits() first`);
  return subset(ds, ds.splits[split]);
}

/** Returns the dataset with `splits` set (a shallow copy; pixel arrays are shared). */
export function withSplits<T extends CaseDataset>(ds: T, splits: Splits): T {
  const n = ds.shape[0];
  const seen = new Uint8Array(n);
  for (const name of ['train', 'val', 'test'] as const) {
    for (const i of splits[name]) {
      if (i < 0 || i >= n) throw new RangeError(`split ${name} has index ${i} outside 0..${n - 1}`);
      if (seen[i]) throw new RangeError(`sample ${i} is in more than one split`);
      seen[i] = 1;
    }
  }
  return { ...ds, splits };
}

// Per-channel intensity normalisation and seeded augmentation (flips, small affine transforms).
import { Random } from '../core/random.js';
import { maskSize, type CaseDataset } from './types.js';

/**
 * How to bring each channel to a common scale.
 * - `zscore`: (x - mean) / sd.
 * - `minmax`: (x - min) / (max - min), so the fitted data spans [0, 1].
 * - `percentile`: (x - p_low) / (p_high - p_low), clipped to [0, 1] (robust to outliers and hot pixels).
 */
export type NormalizationMethod = 'zscore' | 'minmax' | 'percentile';

/** Options of `fitNormalization` / `normalize`. */
export interface NormalizeOptions {
  /** Method. Default `'zscore'`. */
  method?: NormalizationMethod;
  /** Percentiles for `'percentile'`. Default [1, 99]. */
  percentiles?: [number, number];
  /**
   * Samples whose statistics define the normalisation. Default: the train split when the dataset has
   * splits (so validation and test data do not leak into it), else every sample.
   */
  fitOn?: ArrayLike<number>;
}

/** A fitted per-channel normalisation: y = (x - shift[c]) * scale[c], then clipped to clip if set. */
export interface Normalization {
  /** Method it was fitted with. */
  method: NormalizationMethod;
  /** Channel names, in order. */
  channelNames: string[];
  /** Subtracted per channel (mean, min or low percentile). */
  shift: number[];
  /** Multiplied per channel after the shift (1/sd, 1/range); 1 for a constant channel. */
  scale: number[];
  /** Output range the values are clipped to, or null. */
  clip: [number, number] | null;
}

const MAX_EXACT = 2_000_000;

/** Fits a per-channel normalisation. Percentiles are exact up to 2M values per channel, else from an even subsample. */
export function fitNormalization(ds: CaseDataset, options: NormalizeOptions = {}): Normalization {
  const method = options.method ?? 'zscore';
  const [n, C] = ds.shape;
  const HW = maskSize(ds); // values of one channel of one case: H x W, or D x H x W for volumes
  const fitOn = options.fitOn ?? (ds.splits && ds.splits.train.length > 0 ? ds.splits.train : null);
  const samples = fitOn ? Array.from(fitOn) : Array.from({ length: n }, (_, i) => i);
  if (samples.length === 0) throw new RangeError('fitNormalization: no samples to fit on');
  const shift: number[] = [];
  const scale: number[] = [];
  for (let c = 0; c < C; c++) {
    if (method === 'percentile') {
      const [lo, hi] = options.percentiles ?? [1, 99];
      if (!(lo >= 0 && lo < hi && hi <= 100)) throw new RangeError(`percentiles must satisfy 0 <= low < high <= 100, got [${lo}, ${hi}]`);
      const total = samples.length * HW;
      const step = Math.max(1, Math.ceil(total / MAX_EXACT));
      const vals = new Float32Array(Math.ceil(total / step));
      let k = 0;
      for (let q = 0; q < total; q += step) {
        const i = samples[Math.floor(q / HW)]!;
        vals[k++] = ds.images[(i * C + c) * HW + (q % HW)]!;
      }
      const sorted = vals.subarray(0, k).sort();
      const pl = quantile(sorted, lo / 100);
      const ph = quantile(sorted, hi / 100);
      shift.push(pl);
      scale.push(ph > pl ? 1 / (ph - pl) : 1);
    } else {
      let s1 = 0;
      let s2 = 0;
      let min = Infinity;
      let max = -Infinity;
      for (const i of samples) {
        const plane = ds.images.subarray((i * C + c) * HW, (i * C + c + 1) * HW);
        for (let p = 0; p < HW; p++) {
          const v = plane[p]!;
          s1 += v;
          s2 += v * v;
          if (v < min) min = v;
          if (v > max) max = v;
        }
      }
      const m = samples.length * HW;
      if (method === 'zscore') {
        const mean = s1 / m;
        const sd = Math.sqrt(Math.max(0, s2 / m - mean * mean));
        shift.push(mean);
        scale.push(sd > 0 ? 1 / sd : 1);
      } else {
        shift.push(min);
        scale.push(max > min ? 1 / (max - min) : 1);
      }
    }
  }
  return { method, channelNames: [...ds.channelNames], shift, scale, clip: method === 'percentile' ? [0, 1] : null };
}

function quantile(sorted: Float32Array, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Applies a fitted normalisation to NCHW images or NCDHW volumes (a dataset's or a batch's); returns a new array. */
export function applyNormalization(images: Float32Array, shape: readonly number[], norm: Normalization): Float32Array {
  const [n, C] = shape as [number, number];
  if (C !== norm.shift.length) throw new RangeError(`normalisation has ${norm.shift.length} channels, images have ${C}`);
  const HW = shape.slice(2).reduce((a, b) => a * b, 1);
  const out = new Float32Array(images.length);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < C; c++) {
      const off = (i * C + c) * HW;
      const sh = norm.shift[c]!;
      const sc = norm.scale[c]!;
      if (norm.clip) {
        const [lo, hi] = norm.clip;
        for (let p = off; p < off + HW; p++) {
          const v = (images[p]! - sh) * sc;
          out[p] = v < lo ? lo : v > hi ? hi : v;
        }
      } else {
        for (let p = off; p < off + HW; p++) out[p] = (images[p]! - sh) * sc;
      }
    }
  }
  return out;
}

/** Fits (see `fitNormalization`) and applies a normalisation; returns the new dataset and the fit. */
export function normalize<T extends CaseDataset>(ds: T, options: NormalizeOptions = {}): { dataset: T; normalization: Normalization } {
  const normalization = fitNormalization(ds, options);
  return { dataset: { ...ds, images: applyNormalization(ds.images, ds.shape, normalization) }, normalization };
}

/** Options of `augmentBatch`. Every transform is drawn independently per sample from the given seed/random. */
export interface AugmentOptions {
  /** Probability of a left-right flip. Default 0.5. */
  flipX?: number;
  /** Probability of an up-down flip. Default 0 (anatomy usually has an up). */
  flipY?: number;
  /** Maximum rotation in degrees (uniform in ±rotate). Default 10. */
  rotate?: number;
  /** Maximum shift as a fraction of the side (uniform in ±translate, per axis). Default 0.05. */
  translate?: number;
  /** Range of the zoom factor. Default [0.95, 1.05]. */
  scale?: [number, number];
}

/**
 * Augments a batch of NCHW images with seeded flips and small affine transforms (bilinear
 * sampling, edges clamped); the same transform is applied to every channel of a sample and to its
 * masks (nearest neighbour), if given as N x H x W planes. Returns new arrays.
 */
export function augmentBatch(
  images: Float32Array,
  shape: readonly number[],
  options: AugmentOptions,
  random: Random,
  masks: Uint8Array[] = [],
): { images: Float32Array; masks: Uint8Array[] } {
  const [n, C, H, W] = shape as [number, number, number, number];
  const HW = H * W;
  const flipX = options.flipX ?? 0.5;
  const flipY = options.flipY ?? 0;
  const rot = ((options.rotate ?? 10) * Math.PI) / 180;
  const tr = options.translate ?? 0.05;
  const [s0, s1] = options.scale ?? [0.95, 1.05];
  const out = new Float32Array(images.length);
  const outMasks = masks.map((m) => new Uint8Array(m.length));
  const cx = (W - 1) / 2;
  const cy = (H - 1) / 2;
  for (let i = 0; i < n; i++) {
    const fx = random.bernoulli(flipX) ? -1 : 1;
    const fy = random.bernoulli(flipY) ? -1 : 1;
    const a = random.uniform(-rot, rot);
    const tx = random.uniform(-tr, tr) * W;
    const ty = random.uniform(-tr, tr) * H;
    const s = random.uniform(s0, s1);
    // Inverse map: output (x, y) -> source (u, v) = R(-a) * ((x, y) - c - t) / s, then flips.
    const cos = Math.cos(a) / s;
    const sin = Math.sin(a) / s;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const dx = x - cx - tx;
        const dy = y - cy - ty;
        let u = (cos * dx + sin * dy) * fx + cx;
        let v = (-sin * dx + cos * dy) * fy + cy;
        u = u < 0 ? 0 : u > W - 1 ? W - 1 : u;
        v = v < 0 ? 0 : v > H - 1 ? H - 1 : v;
        const u0 = Math.floor(u);
        const v0 = Math.floor(v);
        const u1 = Math.min(W - 1, u0 + 1);
        const v1 = Math.min(H - 1, v0 + 1);
        const du = u - u0;
        const dv = v - v0;
        const q = y * W + x;
        for (let c = 0; c < C; c++) {
          const b = (i * C + c) * HW;
          const top = images[b + v0 * W + u0]! * (1 - du) + images[b + v0 * W + u1]! * du;
          const bot = images[b + v1 * W + u0]! * (1 - du) + images[b + v1 * W + u1]! * du;
          out[b + q] = top * (1 - dv) + bot * dv;
        }
        const nu = Math.round(u);
        const nv = Math.round(v);
        for (let m = 0; m < masks.length; m++) outMasks[m]![i * HW + q] = masks[m]![i * HW + nv * W + nu]!;
      }
    }
  }
  return { images: out, masks: outMasks };
}

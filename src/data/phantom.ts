// Phantoms: synthetic multi-channel cases whose answer is known. Every later stage proves its
// methods on them: the label is driven by a lesion visible only in chosen channels, a distractor
// unrelated to the label sits in another channel, and the factors and masks of both are returned.
import { normalQuantile } from '../core/stats.js';
import { DataError } from './errors.js';
import { checkMemory } from './memory-budget.js';
import { checkLayout, checkRange, checkRate } from './phantom-checks.js';
import { disc, drawObject, lesionLabels, paintObject, phantomStreams, square, type Canvas } from './phantom-objects.js';
import type { ImageDataset } from './types.js';

/** Options of `generatePhantoms`; every field has a default. Positions and sizes are fractions of `size`. */
export interface PhantomOptions {
  /** Number of cases N. Default 1000. */
  n?: number;
  /** Image height and width in pixels. Default 64. */
  size?: number;
  /** Seed: one seed gives identical output everywhere. Default 0. */
  seed?: number | string;
  /** Channel names, C of them. Default `['T1', 'T2', 'FLAIR']` (MRI-like names; the images are synthetic). */
  channels?: string[];
  /** Channels that show the lesion. Default `['FLAIR']` (the last channel when `channels` is customised). */
  lesionChannels?: string[];
  /** Channels that show the distractor. Default `['T1']` (the first channel when customised); may be empty. */
  distractorChannels?: string[];
  /** Probability that a case has a lesion (label 1). Default 0.5. */
  lesionRate?: number;
  /** Probability that a case has a distractor, independent of the label. Default 0.5. */
  distractorRate?: number;
  /** Range of the lesion radius, as a fraction of `size`. Default [0.05, 0.12]. */
  lesionRadius?: [number, number];
  /** Range of the lesion's added intensity. Default [0.3, 0.8]. */
  lesionIntensity?: [number, number];
  /** Range of the lesion centre (x and y alike, independently), fraction of `size`. Default [0.3, 0.7]. */
  lesionPosition?: [number, number];
  /** Range of the distractor's half side (it is a square), fraction of `size`. Default [0.04, 0.1]. */
  distractorRadius?: [number, number];
  /** Range of the distractor's added intensity. Default [0.4, 0.9]. */
  distractorIntensity?: [number, number];
  /** Range of the distractor centre (x and y), fraction of `size`. Default [0.15, 0.85]. */
  distractorPosition?: [number, number];
  /** Range of the organ's scale (a nuisance factor, unrelated to the label). Default [0.9, 1.1]. */
  organScale?: [number, number];
  /** Standard deviation of the Gaussian pixel noise. Default 0.03. */
  noise?: number;
  /** Amplitude of the smooth organ texture. Default 0.08. */
  texture?: number;
  /** Fractions for the seeded random val/test splits (stratified by label). Default `{ val: 0.1, test: 0.2 }`. */
  splits?: { val: number; test: number };
  /** Memory budget in bytes (see memory-budget.ts). Default: LATENTLENS_MEMORY_BUDGET, else half of this machine's memory. */
  memoryBudget?: number;
}

/** Names of the factors, in column order, of `generatePhantoms().factors`. */
export const PHANTOM_FACTORS = [
  'lesion_present', // 0/1, equals the label
  'lesion_radius', // fraction of size
  'lesion_x', // centre column, fraction of size
  'lesion_y', // centre row, fraction of size
  'lesion_intensity', // added to the lesion channels
  'distractor_present', // 0/1, independent of the label
  'distractor_radius', // half side of the square, fraction of size
  'distractor_x',
  'distractor_y',
  'distractor_intensity',
  'organ_scale', // nuisance: scale of the organ ellipse
] as const;

// A quantile table of the normal distribution gives fast, exact-in-distribution Gaussian noise from one
// 16-bit random index per pixel.
let normalTable: Float32Array | null = null;
function gaussianTable(): Float32Array {
  if (!normalTable) {
    normalTable = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) normalTable[i] = normalQuantile((i + 0.5) / 65536);
  }
  return normalTable;
}

/**
 * Generates N phantom cases of C x size x size.
 *
 * Each case: a background (0.05) and an elliptical organ with a smooth texture in every channel (organ
 * brightness differs by channel), Gaussian noise, and
 * - a lesion (soft-edged disc; present with `lesionRate`) added only to `lesionChannels`: its presence
 *   is the label (classes `no lesion`, `lesion`);
 * - a distractor (bright square artefact; present with `distractorRate`) added only to
 *   `distractorChannels`, independent of the label.
 * All factors are drawn independently for every case, also when the object is absent (then it is
 * simply not drawn), so factor columns are mutually independent by construction.
 * Masks: `lesion` and `distractor`, 1 on the pixels whose centre lies inside the object (empty when absent).
 */
export function generatePhantoms(options: PhantomOptions = {}): ImageDataset {
  const n = options.n ?? 1000;
  const size = options.size ?? 64;
  const seed = options.seed ?? 0;
  const channels = options.channels ?? ['T1', 'T2', 'FLAIR'];
  const custom = options.channels !== undefined;
  const lesionChannels = options.lesionChannels ?? (custom ? [channels[channels.length - 1]!] : ['FLAIR']);
  const distractorChannels = options.distractorChannels ?? (custom ? (channels.length > 1 ? [channels[0]!] : []) : ['T1']);
  const lesionRate = options.lesionRate ?? 0.5;
  const distractorRate = options.distractorRate ?? 0.5;
  const lesionRadius = options.lesionRadius ?? [0.05, 0.12];
  const lesionIntensity = options.lesionIntensity ?? [0.3, 0.8];
  const lesionPosition = options.lesionPosition ?? [0.3, 0.7];
  const distractorRadius = options.distractorRadius ?? [0.04, 0.1];
  const distractorIntensity = options.distractorIntensity ?? [0.4, 0.9];
  const distractorPosition = options.distractorPosition ?? [0.15, 0.85];
  const organScale = options.organScale ?? [0.9, 1.1];
  const noise = options.noise ?? 0.03;
  const texture = options.texture ?? 0.08;

  checkLayout('phantom', n, size, 4096, channels, [
    ['lesion', lesionChannels],
    ['distractor', distractorChannels],
  ]);
  checkRate('phantom', 'lesionRate', lesionRate);
  checkRate('phantom', 'distractorRate', distractorRate);
  checkRange('phantom', 'lesionRadius', lesionRadius, 0, 0.5);
  checkRange('phantom', 'lesionPosition', lesionPosition, 0, 1);
  checkRange('phantom', 'distractorRadius', distractorRadius, 0, 0.5);
  checkRange('phantom', 'distractorPosition', distractorPosition, 0, 1);
  checkRange('phantom', 'lesionIntensity', lesionIntensity, -10, 10);
  checkRange('phantom', 'distractorIntensity', distractorIntensity, -10, 10);
  checkRange('phantom', 'organScale', organScale, 0.1, 1.4);
  if (!(noise >= 0) || !(texture >= 0)) throw new DataError('phantom', `noise and texture must be >= 0`);

  const C = channels.length;
  const H = size;
  const W = size;
  const HW = H * W;
  const F = PHANTOM_FACTORS.length;
  checkMemory(
    'phantom',
    [
      { what: 'float32 images', bytes: n * C * HW * 4, elements: n * C * HW },
      { what: 'lesion and distractor masks', bytes: 2 * n * HW, elements: n * HW },
      { what: 'factors and labels', bytes: n * (F + 1) * 4 },
    ],
    options.memoryBudget,
    `n=${n}, ${C} x ${H} x ${W}`,
  );
  const images = new Float32Array(n * C * HW);
  const labels = new Int32Array(n);
  const factors = new Float32Array(n * F);
  const lesionMask = new Uint8Array(n * HW);
  const distractorMask = new Uint8Array(n * HW);
  const lesionIn = new Uint8Array(C);
  const distractorIn = new Uint8Array(C);
  lesionChannels.forEach((ch) => (lesionIn[channels.indexOf(ch)] = 1));
  distractorChannels.forEach((ch) => (distractorIn[channels.indexOf(ch)] = 1));
  // Per-channel organ brightness and texture weight: channels differ in contrast like MRI sequences.
  const organLevel = Float32Array.from(channels, (_, c) => 0.35 + 0.1 * (c % 3));
  const textureWeight = Float32Array.from(channels, (_, c) => 1 - 0.2 * (c % 3));
  const background = 0.05;

  const { factors: factorRng, pixels: pixelRng, splitSeed } = phantomStreams(seed);
  const lesion = { rate: lesionRate, radius: lesionRadius, position: lesionPosition, intensity: lesionIntensity };
  const distractor = { rate: distractorRate, radius: distractorRadius, position: distractorPosition, intensity: distractorIntensity };
  const lesionCanvas: Canvas = { images, mask: lesionMask, D: 1, H, W, shownIn: lesionIn };
  const distractorCanvas: Canvas = { images, mask: distractorMask, D: 1, H, W, shownIn: distractorIn };
  const table = gaussianTable();

  const anatomy = new Float32Array(HW); // soft organ membership 0..1
  const tex = new Float32Array(HW); // texture inside the organ
  const rowA = new Float32Array(3 * H);
  const colA = new Float32Array(3 * W);

  for (let i = 0; i < n; i++) {
    // Factors, drawn in a fixed order from their own stream.
    const [lp, lr, lx, ly, li] = drawObject(factorRng, lesion, 2);
    const [dp, dr, dx, dy, di] = drawObject(factorRng, distractor, 2);
    const os = factorRng.uniform(organScale[0], organScale[1]);
    factors.set([lp, lr, lx, ly, li, dp, dr, dx, dy, di, os], i * F);
    labels[i] = lp;

    // Anatomy: an ellipse with a soft one-pixel edge and a separable smooth texture (3 cosine terms).
    const rx = 0.36 * os * W;
    const ry = 0.3 * os * H;
    const cx = (W - 1) / 2;
    const cy = (H - 1) / 2;
    for (let k = 0; k < 3; k++) {
      const fy = ((1 + 3 * pixelRng.next()) * 2 * Math.PI) / H;
      const fx = ((1 + 3 * pixelRng.next()) * 2 * Math.PI) / W;
      const py = 2 * Math.PI * pixelRng.next();
      const px = 2 * Math.PI * pixelRng.next();
      const amp = texture / 3;
      for (let y = 0; y < H; y++) rowA[k * H + y] = amp * Math.cos(fy * y + py);
      for (let x = 0; x < W; x++) colA[k * W + x] = Math.cos(fx * x + px);
    }
    const edge = Math.min(rx, ry);
    for (let y = 0; y < H; y++) {
      const ny = (y - cy) / ry;
      const r0 = rowA[y]!,
        r1 = rowA[H + y]!,
        r2 = rowA[2 * H + y]!;
      for (let x = 0; x < W; x++) {
        const nx = (x - cx) / rx;
        // Distance to the boundary in pixels, roughly: (1 - sqrt(d)) * radius.
        let a = (1 - Math.sqrt(nx * nx + ny * ny)) * edge + 0.5;
        a = a < 0 ? 0 : a > 1 ? 1 : a;
        anatomy[y * W + x] = a;
        tex[y * W + x] = a * (r0 * colA[x]! + r1 * colA[W + x]! + r2 * colA[2 * W + x]!);
      }
    }

    // Base image + noise for every channel.
    let state = pixelRng.nextUint32() | 1; // xorshift32 state for this case's noise
    const base = i * C * HW;
    for (let c = 0; c < C; c++) {
      const off = base + c * HW;
      const lvl = organLevel[c]! - background;
      const tw = textureWeight[c]!;
      if (noise > 0) {
        for (let p = 0; p < HW; p += 2) {
          state ^= state << 13;
          state ^= state >>> 17;
          state ^= state << 5;
          images[off + p] = background + anatomy[p]! * lvl + tw * tex[p]! + noise * table[state & 0xffff]!;
          if (p + 1 < HW) {
            images[off + p + 1] = background + anatomy[p + 1]! * lvl + tw * tex[p + 1]! + noise * table[(state >>> 16) & 0xffff]!;
          }
        }
      } else {
        for (let p = 0; p < HW; p++) images[off + p] = background + anatomy[p]! * lvl + tw * tex[p]!;
      }
    }

    if (lp) paintObject(lesionCanvas, i, lx * W, ly * H, 0.5, lr * size, li, disc);
    if (dp) paintObject(distractorCanvas, i, dx * W, dy * H, 0.5, dr * size, di, square);
  }

  return {
    images,
    shape: [n, C, H, W],
    channelNames: [...channels],
    ...lesionLabels(labels, splitSeed, options.splits),
    factors: { names: [...PHANTOM_FACTORS], values: factors },
    masks: [
      { name: 'lesion', channels: [...lesionChannels], data: lesionMask },
      { name: 'distractor', channels: [...distractorChannels], data: distractorMask },
    ],
    ids: Array.from({ length: n }, (_, i) => `phantom ${i}`),
    skipped: [],
    source: `phantom:n=${n}&size=${size}&seed=${seed}&channels=${channels.join(',')}&lesion=${lesionChannels.join(',')}&distractor=${distractorChannels.join(',')}`,
  };
}

/**
 * The union of the ground-truth masks visible in one channel of one case (H x W, 0/1): where that
 * channel carries a known factor. Works for any dataset with `masks`.
 */
export function channelMask(ds: ImageDataset, index: number, channel: string, maskNames?: string[]): Uint8Array {
  const [, , h, w] = ds.shape;
  const out = new Uint8Array(h * w);
  for (const m of ds.masks ?? []) {
    if (!m.channels.includes(channel)) continue;
    if (maskNames && !maskNames.includes(m.name)) continue;
    const plane = m.data.subarray(index * h * w, (index + 1) * h * w);
    for (let p = 0; p < h * w; p++) if (plane[p]) out[p] = 1;
  }
  return out;
}

// Volumetric phantoms: the 3D twin of phantom.ts, N cases of C x D x D x D with a known answer. A soft
// ellipsoid organ in every channel, Gaussian noise, and a spherical lesion added only to the lesion
// channels, whose presence is the label; its factors and its N x D x H x W mask are returned, so the 3D
// models and the attributions on volumes can be checked against where the lesion really is.
import { DataError } from './errors.js';
import { checkMemory } from './memory-budget.js';
import { checkLayout, checkRange, checkRate } from './phantom-checks.js';
import { drawObject, lesionLabels, paintObject, phantomStreams, sphere, type Canvas } from './phantom-objects.js';
import type { VolumeDataset } from './types.js';

/** Options of `generateVolumePhantoms`; every field has a default. Positions and sizes are fractions of `size`. */
export interface VolumePhantomOptions {
  /** Number of cases N. Default 200. */
  n?: number;
  /** Depth, height and width in voxels (the volumes are cubes). Default 28 (MedMNIST 3D's size). */
  size?: number;
  /** Seed: one seed gives identical output everywhere. Default 0. */
  seed?: number | string;
  /** Channel names. Default `['T1', 'FLAIR']`. */
  channels?: string[];
  /** Channels that show the lesion. Default `['FLAIR']` (the last channel when `channels` is customised). */
  lesionChannels?: string[];
  /** Probability that a case has a lesion (label 1). Default 0.5. */
  lesionRate?: number;
  /** Range of the lesion radius, fraction of `size`. Default [0.12, 0.2]. */
  lesionRadius?: [number, number];
  /** Range of the lesion's added intensity. Default [0.5, 0.9]. */
  lesionIntensity?: [number, number];
  /** Range of the lesion centre on each axis, fraction of `size`. Default [0.35, 0.65]. */
  lesionPosition?: [number, number];
  /** Range of the organ's scale (a nuisance factor, unrelated to the label). Default [0.9, 1.1]. */
  organScale?: [number, number];
  /** Standard deviation of the Gaussian voxel noise. Default 0.03. */
  noise?: number;
  /** Fractions for the seeded random val/test splits (stratified by label). Default `{ val: 0.1, test: 0.2 }`. */
  splits?: { val: number; test: number };
  /** Memory budget in bytes (see memory-budget.ts). */
  memoryBudget?: number;
}

/** Names of the factors, in column order, of `generateVolumePhantoms().factors`. */
export const VOLUME_PHANTOM_FACTORS = [
  'lesion_present', // 0/1, equals the label
  'lesion_radius', // fraction of size
  'lesion_x', // centre, fraction of size (column)
  'lesion_y', // row
  'lesion_z', // slice
  'lesion_intensity', // added to the lesion channels
  'organ_scale', // nuisance
] as const;

/**
 * Generates N volume phantoms of C x size x size x size (a VolumeDataset). Each case: background 0.05,
 * an ellipsoid organ with a one-voxel soft edge (brightness 0.35, 0.45, 0.55, ... by channel), Gaussian
 * noise, and a soft-edged sphere (present with `lesionRate`) added only to `lesionChannels`. Mask
 * `lesion`: 1 on the voxels whose centre lies inside the sphere (empty when absent). Factors are drawn
 * for every case, also when the lesion is absent, so they are independent by construction.
 */
export function generateVolumePhantoms(options: VolumePhantomOptions = {}): VolumeDataset {
  const n = options.n ?? 200;
  const size = options.size ?? 28;
  const seed = options.seed ?? 0;
  const channels = options.channels ?? ['T1', 'FLAIR'];
  const lesionChannels = options.lesionChannels ?? [channels[channels.length - 1]!];
  const lesionRate = options.lesionRate ?? 0.5;
  const lesionRadius = options.lesionRadius ?? [0.12, 0.2];
  const lesionIntensity = options.lesionIntensity ?? [0.5, 0.9];
  const lesionPosition = options.lesionPosition ?? [0.35, 0.65];
  const organScale = options.organScale ?? [0.9, 1.1];
  const noise = options.noise ?? 0.03;

  checkLayout('phantom3d', n, size, 512, channels, [['lesion', lesionChannels]]);
  checkRate('phantom3d', 'lesionRate', lesionRate);
  checkRange('phantom3d', 'lesionRadius', lesionRadius, 0, 0.5);
  checkRange('phantom3d', 'lesionPosition', lesionPosition, 0, 1);
  checkRange('phantom3d', 'lesionIntensity', lesionIntensity, -10, 10);
  checkRange('phantom3d', 'organScale', organScale, 0.1, 1.4);
  if (!(noise >= 0)) throw new DataError('phantom3d', 'noise must be >= 0');

  const C = channels.length;
  const D = size,
    H = size,
    W = size;
  const V = D * H * W;
  const F = VOLUME_PHANTOM_FACTORS.length;
  checkMemory(
    'phantom3d',
    [
      { what: 'float32 volumes', bytes: n * C * V * 4, elements: n * C * V },
      { what: 'lesion mask', bytes: n * V, elements: n * V },
    ],
    options.memoryBudget,
    `n=${n}, ${C} x ${D} x ${H} x ${W}`,
  );
  const images = new Float32Array(n * C * V);
  const labels = new Int32Array(n);
  const factors = new Float32Array(n * F);
  const lesionMask = new Uint8Array(n * V);
  const lesionIn = channels.map((ch) => lesionChannels.includes(ch));
  const background = 0.05;

  const { factors: factorRng, pixels: voxelRng, splitSeed } = phantomStreams(seed);
  const lesion = { rate: lesionRate, radius: lesionRadius, position: lesionPosition, intensity: lesionIntensity };
  const canvas: Canvas = { images, mask: lesionMask, D, H, W, shownIn: lesionIn };
  const anatomy = new Float32Array(V);
  const c0 = (size - 1) / 2;

  for (let i = 0; i < n; i++) {
    const [lp, lr, lx, ly, lz, li] = drawObject(factorRng, lesion, 3);
    const os = factorRng.uniform(organScale[0], organScale[1]);
    factors.set([lp, lr, lx, ly, lz, li, os], i * F);
    labels[i] = lp;

    // Organ: an ellipsoid (semi-axes 0.38, 0.32, 0.28 of the size, times the organ scale), soft edge.
    const ax = 0.38 * os * W,
      ay = 0.32 * os * H,
      az = 0.28 * os * D;
    const edge = Math.min(ax, ay, az);
    for (let z = 0, p = 0; z < D; z++) {
      const nz = (z - c0) / az;
      for (let y = 0; y < H; y++) {
        const ny = (y - c0) / ay;
        for (let x = 0; x < W; x++, p++) {
          const nx = (x - c0) / ax;
          const a = (1 - Math.sqrt(nx * nx + ny * ny + nz * nz)) * edge + 0.5;
          anatomy[p] = a < 0 ? 0 : a > 1 ? 1 : a;
        }
      }
    }
    const base = i * C * V;
    for (let c = 0; c < C; c++) {
      const lvl = 0.35 + 0.1 * (c % 3) - background;
      const off = base + c * V;
      for (let p = 0; p < V; p++) images[off + p] = background + anatomy[p]! * lvl + (noise > 0 ? noise * voxelRng.normal() : 0);
    }
    if (lp) paintObject(canvas, i, lx * W, ly * H, lz * D, lr * size, li, sphere);
  }

  return {
    images,
    shape: [n, C, D, H, W],
    channelNames: [...channels],
    ...lesionLabels(labels, splitSeed, options.splits),
    factors: { names: [...VOLUME_PHANTOM_FACTORS], values: factors },
    masks: [{ name: 'lesion', channels: [...lesionChannels], data: lesionMask }],
    ids: Array.from({ length: n }, (_, i) => `phantom3d ${i}`),
    skipped: [],
    source: `phantom3d:n=${n}&size=${size}&seed=${seed}&channels=${channels.join(',')}&lesion=${lesionChannels.join(',')}`,
  };
}

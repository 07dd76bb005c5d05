// What the 2D and the volume phantoms draw alike: the seeded streams, the factors of a lesion or a
// distractor, the soft-edged objects painted with their masks, and the lesion label with its splits.
// The order of the draws is part of the output: a seed gives the same cases only while it stays.
import { Random } from '../core/random.js';
import { randomSplits } from './splits.js';
import type { Splits } from './types.js';

/** A phantom's random streams: factors and pixels draw apart, so changing one leaves the other. */
export interface PhantomStreams {
  factors: Random;
  pixels: Random;
  splitSeed: number;
}

export function phantomStreams(seed: number | string): PhantomStreams {
  const rng = new Random(seed);
  const factors = rng.fork();
  const pixels = rng.fork();
  const splitSeed = rng.nextUint32();
  return { factors, pixels, splitSeed };
}

/** The ranges an object is drawn from; radius and position are fractions of the size. */
export interface ObjectRanges {
  rate: number;
  radius: [number, number];
  position: [number, number];
  intensity: [number, number];
}

/**
 * An object's factors, in their column order: present (0/1), radius, the centre on each of `axes`
 * axes (x, y[, z]), intensity. All are drawn also when it is absent, so the columns stay independent.
 */
export function drawObject(rng: Random, o: ObjectRanges, axes: 2): [number, number, number, number, number];
export function drawObject(rng: Random, o: ObjectRanges, axes: 3): [number, number, number, number, number, number];
export function drawObject(rng: Random, o: ObjectRanges, axes: 2 | 3): number[] {
  const present = rng.bernoulli(o.rate) ? 1 : 0;
  const radius = rng.uniform(o.radius[0], o.radius[1]);
  const centre = Array.from({ length: axes }, () => rng.uniform(o.position[0], o.position[1]));
  const intensity = rng.uniform(o.intensity[0], o.intensity[1]);
  return [present, radius, ...centre, intensity];
}

/** Distance from an object's centre to a voxel centre offset by (dx, dy, dz) voxels. */
export type Distance = (dx: number, dy: number, dz: number) => number;
export const disc: Distance = (dx, dy) => Math.hypot(dx, dy);
export const square: Distance = (dx, dy) => Math.max(Math.abs(dx), Math.abs(dy));
export const sphere: Distance = (dx, dy, dz) => Math.hypot(dx, dy, dz);

/** Where objects are painted: N x C x D x H x W images (D = 1 for 2D ones) and their N x D x H x W mask. */
export interface Canvas {
  images: Float32Array;
  mask: Uint8Array;
  D: number;
  H: number;
  W: number;
  /** Length C: truthy for the channels that show the object. */
  shownIn: ArrayLike<unknown>;
}

/**
 * Adds `intensity` times the object's coverage (its edge is one voxel soft) to the shown channels of
 * case `i`, and marks the voxels whose centre lies inside it (distance <= R) in the mask. Centre
 * (X, Y, Z) and radius R are in voxels; on a 2D canvas Z is 0.5, the middle of its one slice.
 */
export function paintObject(
  cv: Canvas,
  i: number,
  X: number,
  Y: number,
  Z: number,
  R: number,
  intensity: number,
  distance: Distance,
): void {
  const { images, mask, D, H, W, shownIn } = cv;
  const C = shownIn.length;
  const V = D * H * W;
  const base = i * C * V;
  const lo = (v: number) => Math.max(0, Math.floor(v - R - 1));
  const hi = (v: number, m: number) => Math.min(m - 1, Math.ceil(v + R + 1));
  for (let z = lo(Z); z <= hi(Z, D); z++) {
    for (let y = lo(Y); y <= hi(Y, H); y++) {
      for (let x = lo(X); x <= hi(X, W); x++) {
        const d = distance(x + 0.5 - X, y + 0.5 - Y, z + 0.5 - Z);
        let a = R - d + 0.5;
        if (a <= 0) continue;
        if (a > 1) a = 1;
        const p = (z * H + y) * W + x;
        if (d <= R) mask[i * V + p] = 1;
        for (let c = 0; c < C; c++) if (shownIn[c]) images[base + c * V + p]! += intensity * a;
      }
    }
  }
}

/** A phantom's label fields: the label is the lesion's presence, and the seeded splits are stratified by it. */
export function lesionLabels(
  labels: Int32Array,
  splitSeed: number,
  fractions = { val: 0.1, test: 0.2 },
): {
  labels: Int32Array;
  labelWidth: number;
  task: 'binary';
  classNames: string[];
  splits: Splits;
} {
  return {
    labels,
    labelWidth: 1,
    task: 'binary',
    classNames: ['no lesion', 'lesion'],
    splits: randomSplits(labels.length, { val: fractions.val, test: fractions.test, seed: splitSeed, stratify: labels }),
  };
}

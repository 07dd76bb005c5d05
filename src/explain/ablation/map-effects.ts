// Decoder-side effects of single maps: decode(z) - decode(z with map k set to its dataset mean), for every
// map at once, which gives single-map ablation (map k against the other maps as a control) and the
// decoder-entanglement index.
import { noGrad, scope, type Tensor } from '../../engine/index.js';
import { Random } from '../../core/random.js';
import type { LatentModel } from '../../models/types.js';
import { mean } from '../../core/stats.js';
import { ablateMap } from './latent-edit.js';

export interface MapEffects {
  /** K x N x C x H x W: signed decode(z) - decode(z with map k at its dataset mean), per case. */
  deltas: Float32Array;
  /** K x C x H x W: mean |delta| over cases (each map's effect image, for entanglement). */
  images: Float32Array;
  shape: { k: number; n: number; c: number; h: number; w: number };
}

/** Effects of ablating each map in turn on cases z (N x K x h x w); `meanLatent` K x h x w. */
export function mapEffects(model: LatentModel, z: Tensor, meanLatent: Tensor): MapEffects {
  const k = z.shape[1]!;
  return noGrad(() =>
    scope(() => {
      const full = model.decode(z);
      const [n, c, h, w] = full.shape as [number, number, number, number];
      const len = n * c * h * w;
      const deltas = new Float32Array(k * len);
      const images = new Float32Array(k * c * h * w);
      for (let m = 0; m < k; m++) {
        scope(() => {
          const d = full.sub(model.decode(ablateMap(z, m, meanLatent)));
          deltas.set(d.toFloat32(), m * len);
          images.set(d.abs().mean(0).toFloat32(), m * c * h * w);
        });
      }
      return { deltas, images, shape: { k, n, c, h, w } };
    }),
  );
}

export interface SingleMapAblation {
  map: number;
  channels: string[];
  /**
   * Per channel: energy (mean |.| over pixels) of the case-averaged signed effect of ablating map k.
   * Averaging signed effects keeps what map k changes consistently across the cases (e.g. a lesion it
   * encodes) and cancels what varies from case to case.
   */
  effect: number[];
  /** The random-map control: the same for each other map, averaged. */
  controlMean: number[];
  /** effect / controlMean. */
  ratio: number[];
  /** Consistency p-value per channel: energy of the mean effect against sign-flipped case effects. */
  pValue: number[];
  /** Fraction of the mean effect's energy inside the union of the given masks, per channel. */
  insideMask?: number[];
}

function meanEnergy(e: MapEffects, m: number, ch: number, signs?: Float64Array): { energy: number; image: Float64Array } {
  const { n, c, h, w } = e.shape;
  const hw = h * w;
  const image = new Float64Array(hw);
  for (let i = 0; i < n; i++) {
    const s = signs ? signs[i]! : 1;
    const off = ((m * n + i) * c + ch) * hw;
    for (let p = 0; p < hw; p++) image[p] += (s * e.deltas[off + p]!) / n;
  }
  let energy = 0;
  for (let p = 0; p < hw; p++) energy += Math.abs(image[p]!);
  return { energy: energy / hw, image };
}

export function singleMapAblation(
  effects: MapEffects,
  map: number,
  channels: string[],
  masks?: Uint8Array,
  permutations = 500,
  seed = 0,
): SingleMapAblation {
  const { k, n, c, h, w } = effects.shape;
  const rnd = new Random(seed);
  const effect: number[] = [],
    controlMean: number[] = [],
    pValue: number[] = [];
  const insideMask: number[] | undefined = masks ? [] : undefined;
  const hw = h * w;
  const union = new Uint8Array(hw);
  if (masks) for (let i = 0; i < masks.length / hw; i++) for (let p = 0; p < hw; p++) if (masks[i * hw + p]) union[p] = 1;
  for (let ch = 0; ch < c; ch++) {
    const own = meanEnergy(effects, map, ch);
    effect.push(own.energy);
    let ctrl = 0;
    for (let m = 0; m < k; m++) if (m !== map) ctrl += meanEnergy(effects, m, ch).energy / (k - 1);
    controlMean.push(ctrl);
    let hits = 0;
    const signs = new Float64Array(n);
    for (let p = 0; p < permutations; p++) {
      for (let i = 0; i < n; i++) signs[i] = rnd.next() < 0.5 ? -1 : 1;
      if (meanEnergy(effects, map, ch, signs).energy >= own.energy) hits++;
    }
    pValue.push((1 + hits) / (1 + permutations));
    if (insideMask) {
      let inside = 0,
        total = 0;
      for (let p = 0; p < hw; p++) {
        const v = Math.abs(own.image[p]!);
        total += v;
        if (union[p]) inside += v;
      }
      insideMask.push(total > 0 ? inside / total : 0);
    }
  }
  return { map, channels, effect, controlMean, ratio: effect.map((e, ch) => e / (controlMean[ch]! || 1e-12)), pValue, insideMask };
}

export interface Entanglement {
  /**
   * Per map: the mean, over the other maps, of the histogram intersection between the two maps' effect
   * images (each normalised to sum 1 over channels and pixels). 0: map k changes the decoding where no
   * other map does; 1: exactly where every other map does.
   */
  perMap: number[];
  /** Mean of perMap. */
  overall: number;
  /** K x K matrix of pairwise overlaps (1 on the diagonal). */
  overlap: number[][];
}

export function entanglementIndex(effects: MapEffects): Entanglement {
  const { k, c, h, w } = effects.shape;
  const len = c * h * w;
  const norm = Array.from({ length: k }, (_, m) => {
    const v = Float64Array.from(effects.images.subarray(m * len, (m + 1) * len));
    const s = v.reduce((a, b) => a + b, 0) || 1;
    return v.map((x) => x / s);
  });
  const overlap = Array.from({ length: k }, (_, a) =>
    Array.from({ length: k }, (_, b) => {
      if (a === b) return 1;
      let s = 0;
      for (let p = 0; p < len; p++) s += Math.min(norm[a]![p]!, norm[b]![p]!);
      return s;
    }),
  );
  const perMap = overlap.map((row, a) => row.reduce((s, v, b) => s + (a === b ? 0 : v), 0) / Math.max(1, k - 1));
  return { perMap, overlap, overall: mean(perMap) };
}

// Masked decoding as users do it ("keep the top maps, zero the rest, decode, look"), reported beside its
// control: the same with as many random maps. What the naive image shows is mostly the decoder's answer
// to an off-distribution latent; only the part that the chosen maps add beyond random ones is theirs.
import { noGrad, scope, type Tensor } from '../../engine/index.js';
import { Random } from '../../core/random.js';
import type { LatentModel } from '../../models/types.js';
import { fillMaps, type FillKind } from './latent-edit.js';

export interface MaskedDecodeReport {
  keep: number[];
  fill: FillKind;
  channels: string[];
  /** What the naive reading sees: each channel's share of the decoded image's deviation from the dataset mean image. */
  naiveChannelShare: number[];
  /** Fraction of the naive image's deviation from the dataset mean image that lies inside the mask (if given). */
  naiveInsideMask?: number;
  /** Per channel: mean |decode(kept) - decode(random kept set)| minus the spread among random sets; > 0 is specific to the kept maps. */
  specificEffect: number[];
  /**
   * Per channel: (1 + number of control sets whose decoding differs from the fill-only decoding at least
   * as much as the kept maps') / (1 + randomSets). Control sets are drawn from the other maps; all of them
   * when there are at most the requested number, so with few maps the smallest p is 1 / (1 + maps - 1).
   */
  pValue: number[];
  /** Control sets used. */
  randomSets: number;
}

/** Sum of |a| per channel for N x C x H x W tensors, over cases and pixels. */
function channelEnergy(t: Tensor): number[] {
  return Array.from(t.abs().sum([0, 2, 3]).toFloat32());
}

export function maskedDecodeReport(
  model: LatentModel,
  z: Tensor,
  o: {
    keep: number[];
    fill?: FillKind;
    meanLatent?: Tensor;
    meanImage: Tensor;
    channels: string[];
    masks?: Uint8Array;
    randomSets?: number;
    seed?: number;
  },
): MaskedDecodeReport {
  const fill = o.fill ?? 'zero';
  const sets = o.randomSets ?? 20;
  const k = z.shape[1]!;
  const rnd = new Random(o.seed ?? 0);
  return noGrad(() =>
    scope(() => {
      const kept = model.decode(fillMaps(z, o.keep, fill, o.meanLatent, o.seed ?? 0));
      const none = model.decode(fillMaps(z, [], fill, o.meanLatent, o.seed ?? 0));
      const dev = kept.sub(o.meanImage.unsqueeze(0));
      const naive = channelEnergy(dev);
      const naiveTotal = naive.reduce((a, b) => a + b, 0) || 1;
      let naiveInsideMask: number | undefined;
      if (o.masks) {
        const d = dev.abs().sum(1).toFloat32();
        let inside = 0,
          total = 0;
        for (let i = 0; i < d.length; i++) {
          total += d[i]!;
          if (o.masks[i]) inside += d[i]!;
        }
        naiveInsideMask = total > 0 ? inside / total : 0;
      }
      const keptEffect = channelEnergy(kept.sub(none));
      const randomEffects = controlSets(k, o.keep, sets, rnd).map((pick) =>
        scope(() => channelEnergy(model.decode(fillMaps(z, pick, fill, o.meanLatent, o.seed ?? 0)).sub(none))),
      );
      const c = keptEffect.length;
      const n = z.shape[0]!;
      const pixels = n * (kept.shape[2]! * kept.shape[3]!);
      const specificEffect = Array.from({ length: c }, (_, ch) => {
        const r = randomEffects.map((e) => e[ch]!);
        const mean = r.reduce((a, b) => a + b, 0) / r.length;
        return (keptEffect[ch]! - mean) / pixels;
      });
      const pValue = Array.from(
        { length: c },
        (_, ch) => (1 + randomEffects.filter((e) => e[ch]! >= keptEffect[ch]!).length) / (1 + randomEffects.length),
      );
      return {
        keep: o.keep,
        fill,
        channels: o.channels,
        naiveChannelShare: naive.map((v) => v / naiveTotal),
        naiveInsideMask,
        specificEffect,
        pValue,
        randomSets: randomEffects.length,
      };
    }),
  );
}

/**
 * Control sets of as many maps as `keep`, drawn from the other maps only (a set containing a kept map
 * would compare the maps with themselves). When there are at most `sets` such sets they are all used,
 * which makes the p-value exact: e.g. one kept map of 8 gives the 7 other maps, and p = (1 + j) / 8.
 */
function controlSets(k: number, keep: number[], sets: number, rnd: Random): number[][] {
  const kept = new Set(keep);
  const others = Array.from({ length: k }, (_, i) => i).filter((i) => !kept.has(i));
  const m = keep.length;
  if (m === 0 || others.length < m) return [];
  if (binomial(others.length, m) <= sets) return combinations(others, m);
  return Array.from({ length: sets }, () =>
    Array.from(rnd.permutation(others.length))
      .slice(0, m)
      .map((i) => others[i]!),
  );
}

function binomial(n: number, r: number): number {
  let v = 1;
  for (let i = 0; i < r; i++) v = (v * (n - i)) / (i + 1);
  return Math.round(v);
}

function combinations(items: number[], r: number): number[][] {
  if (r === 0) return [[]];
  const out: number[][] = [];
  items.forEach((first, i) => {
    for (const rest of combinations(items.slice(i + 1), r - 1)) out.push([first, ...rest]);
  });
  return out;
}

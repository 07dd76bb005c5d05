// The conditional statistic by leave-one-covariate-out refits (LOCO, Lei et al. 2018; grouped as in
// Williamson et al. 2021): "does map g carry label information beyond the other maps?" answered by
// refitting the forest without map g's columns and measuring how much worse it predicts the held-out cases:
//     d_i = Brier(case i, forest without map g) - Brier(case i, forest with every map).
// No model of x_g given the other maps is needed, so the answer holds whatever the relation between the
// maps (the linear sampler of cpi.ts errs towards the marginal answer where it is non-linear: on the
// phantom ConvAE it flagged 3 to 7 of 8 maps while only one encodes the lesion).
//
// Its null. Two forests fitted to the same rows with different seeds predict a case differently, and a
// 50-tree forest differs from another by a shift shared by many cases: a paired t-test on d_i treats that
// shared shift as signal (phantoms: t = -2.8 between two full forests with different seeds). Under H0 a
// forest without map g is just another forest of the same information, so d is exchangeable with
// e_i = Brier(case i, full forest refitted with another seed) - Brier(case i, full forest). B such refits
// per fit give B null means; the observed mean is referred to them as the marginal null does
// (t = (mean - null mean) / (null sd sqrt(1 + 1/B)), B - 1 df). One null serves every map (it does not
// depend on g). Every forest here, the reduced ones included, has its own seed, so d and e carry the
// same kind of refit noise.
//
// Cost: per fit, one forest per map plus B null forests.

import { RandomForest, type BinnedMatrix, type ForestOptions } from '../../forest/index.js';
import { deriveSeed, Random } from '../../core/random.js';
import { leafCodes } from '../../forest/forest.js';
import { planEvaluation, type PlannedFit } from './plan.js';
import type { MarginalNullOptions } from './marginal-null.js';
import { gatherRefits, mineOf, type RefitShare } from './refit-share.js';
import { inLanes } from '../../util/lanes.js';

export interface LocoOptions {
  groupOf: Int32Array;
  nGroups: number;
  /** The evaluation's fits and the full forest's per-case Brier score on each fit's evaluation rows (NaN: not evaluated). */
  fits: PlannedFit[];
  fullBrier: Float64Array[];
  /** Null refits per fit (B). */
  refits: number;
  forest: ForestOptions;
  seed: number;
  /** Progress over this rank's forests. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Data-parallel ranks to split the forests over (refit-share.ts): rank r fits slots r, r + W, ... of the
   * G maps' reduced forests and then the B null refits; every rank gets both whole sums.
   */
  share?: RefitShare;
}

export interface LocoResult {
  /** sum[g * n + r]: d of case r summed over the fits that evaluated it. */
  sum: Float64Array;
  /** nullSum[j * n + r]: e of case r for null refit j, summed likewise. */
  nullSum: Float64Array;
  /** Evaluations per case (the divisor of both sums). */
  count: Int32Array;
}

/** The binned matrix without the columns of map g (column-major codes: each column is one slice). */
export function withoutGroup(binned: BinnedMatrix, groupOf: Int32Array, g: number): BinnedMatrix {
  const n = binned.rows;
  const keep: number[] = [];
  for (let c = 0; c < binned.cols; c++) if (groupOf[c] !== g) keep.push(c);
  const codes = new Uint8Array(keep.length * n);
  keep.forEach((c, j) => codes.set(binned.codes.subarray(c * n, (c + 1) * n), j * n));
  return {
    rows: n,
    cols: keep.length,
    codes,
    nBins: Uint16Array.from(keep, (c) => binned.nBins[c]),
    edges: keep.map((c) => binned.edges[c]),
  };
}

/**
 * Per-case Brier score of `forest` on the fit's evaluation rows; out of bag when the fit is (only the trees
 * a case was out of bag for predict it; NaN where there is none).
 */
export function heldOutBrier(forest: RandomForest, binned: BinnedMatrix, yIdx: Int32Array, fit: PlannedFit): Float64Array {
  const K = forest.nClasses;
  const rows = fit.eval;
  const m = rows.length;
  const n = binned.rows;
  const acc = new Float64Array(m * K);
  const cnt = new Int32Array(m);
  forest.trees.forEach((tree, t) => {
    const inBag = fit.oob ? forest.inBagCounts(t, fit.train, n) : null;
    for (let i = 0; i < m; i++) {
      if (inBag && inBag[rows[i]] !== 0) continue;
      const node = leafCodes(tree, binned.codes, n, rows[i]);
      for (let k = 0; k < K; k++) acc[i * K + k] += tree.value[node * K + k];
      cnt[i]++;
    }
  });
  const out = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    if (cnt[i] === 0) {
      out[i] = NaN;
      continue;
    }
    let s = 0;
    for (let k = 0; k < K; k++) {
      const e = acc[i * K + k] / cnt[i] - (k === yIdx[rows[i]] ? 1 : 0);
      s += e * e;
    }
    out[i] = s;
  }
  return out;
}

/**
 * LOCO d for every map and the refit null e, summed per case over the fits (see the header). A slot (map g,
 * or null refit j) is seeded by its index and the fit's, and sums over the fits in fit order, so its row is
 * the same on whichever rank fits it.
 */
export async function locoImportance(
  binned: BinnedMatrix,
  labels: ArrayLike<number>,
  yIdx: Int32Array,
  o: LocoOptions,
): Promise<LocoResult> {
  const n = binned.rows;
  const G = o.nGroups;
  const B = o.refits;
  const count = new Int32Array(n);
  o.fits.forEach((fit, fi) =>
    fit.eval.forEach((r, i) => {
      if (!Number.isNaN(o.fullBrier[fi][i])) count[r]++;
    }),
  );
  // Slots 0..G-1: the forests without map g; G..G+B-1: the null refits with every map.
  const mine = mineOf(G + B, o.share);
  const own = new Float64Array(mine.length * n);
  const total = o.fits.length * mine.length;
  let done = 0;
  // Fits forest `slot` of fit fi on `bm` and adds (its Brier - the full forest's) per evaluated case into
  // row[r]; a case the other forest cannot predict (out of bag for none of its trees) adds 0.
  const refit = async (bm: BinnedMatrix, fi: number, slot: number, row: Float64Array): Promise<void> => {
    const fit = o.fits[fi];
    const full = o.fullBrier[fi];
    const forest = new RandomForest({ ...o.forest, seed: deriveSeed(deriveSeed(o.seed, fi, 0x6c6f636f), slot), oobScore: false });
    await forest.fitBinned(bm, labels, { rows: fit.train });
    const other = heldOutBrier(forest, bm, yIdx, fit);
    for (let i = 0; i < fit.eval.length; i++) {
      if (!Number.isNaN(full[i]) && !Number.isNaN(other[i])) row[fit.eval[i]] += other[i] - full[i];
    }
    o.onProgress?.(++done, total);
  };
  const slotSums = async (k: number): Promise<void> => {
    const slot = mine[k]!;
    const row = own.subarray(k * n, (k + 1) * n);
    const bm = slot < G ? withoutGroup(binned, o.groupOf, slot) : binned;
    if (bm.cols === binned.cols && slot < G) {
      done += o.fits.length; // a map without columns: d = 0
      return;
    }
    for (let fi = 0; fi < o.fits.length; fi++) await refit(bm, fi, slot, row);
  };
  // Two slots at once (each holds its own reduced copy of the codes): one's forest fits on the workers
  // while the other's held-out walk runs here. A slot's row still sums its fits in fit order.
  await inLanes(mine.length, 2, slotSums);
  const all = gatherRefits(own, G + B, n, o.share);
  return { sum: all.slice(0, G * n), nullSum: all.slice(G * n), count };
}

/** The marginal null's options less its replacement draws: LOCO refits instead of replacing. */
export type LocoLabelNullOptions = Omit<MarginalNullOptions, 'metric' | 'repeats'>;

/**
 * The LOCO statistic re-made on permuted labels, for a study whose subjects sit on both sides of the split
 * with labels that run along their slices: there a map that tells neighbouring slices apart predicts the
 * label by recognising the slice next door, which is no evidence about the label — and refit noise does
 * not contain it. Labels rotated along each subject's slices keep those runs (and so that shortcut)
 * while breaking the link to the images, so each rotation's LOCO means per map form the null (B x G,
 * as the marginal null's). Cost: B x fits x (1 + maps) forests.
 */
export async function locoLabelNull(
  binned: BinnedMatrix,
  K: number,
  n: number,
  o: LocoLabelNullOptions,
): Promise<{ means: Float64Array; permutations: number }> {
  const G = o.nGroups;
  const B = o.permutations;
  const mine = mineOf(B, o.share);
  const own = new Float64Array(mine.length * G);
  const permY = new Int32Array(n);
  const labels = new Float64Array(n);
  for (let k = 0; k < mine.length; k++) {
    const b = mine[k]!;
    o.permute(new Random(deriveSeed(o.seed, b, 0x6c6e756c)), permY);
    for (let i = 0; i < n; i++) labels[i] = o.classes[permY[i]];
    const { fits } = planEvaluation(permY, K, { ...o.plan, forestSeed: deriveSeed(o.seed, b, 0x6c666f72) });
    const fullBrier: Float64Array[] = [];
    for (const fit of fits) {
      const forest = new RandomForest({ ...o.forest, seed: fit.forestSeed, oobScore: false });
      await forest.fitBinned(binned, labels, { rows: fit.train });
      // A fold whose permuted training rows lack a class is not scored (as in the marginal null).
      fullBrier.push(forest.nClasses === K ? heldOutBrier(forest, binned, permY, fit) : new Float64Array(fit.eval.length).fill(NaN));
    }
    const r = await locoImportance(binned, labels, permY, {
      groupOf: o.groupOf,
      nGroups: G,
      fits,
      fullBrier,
      refits: 0,
      forest: o.forest,
      seed: deriveSeed(o.seed, b, 0x6c6c6f63),
    });
    for (let g = 0; g < G; g++) {
      let s = 0;
      let c = 0;
      for (let i = 0; i < n; i++)
        if (r.count[i] > 0) {
          s += r.sum[g * n + i] / r.count[i];
          c++;
        }
      own[k * G + g] = c > 0 ? s / c : NaN;
    }
    o.onProgress?.(k + 1, mine.length);
  }
  return { means: gatherRefits(own, B, G, o.share), permutations: B };
}

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
import { deriveSeed } from '../../core/random.js';
import { leafCodes } from '../../forest/forest.js';
import type { PlannedFit } from './plan.js';

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
  onProgress?: (done: number, total: number) => void;
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
  return { rows: n, cols: keep.length, codes, nBins: Uint16Array.from(keep, (c) => binned.nBins[c]), edges: keep.map((c) => binned.edges[c]) };
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
    if (cnt[i] === 0) { out[i] = NaN; continue; }
    let s = 0;
    for (let k = 0; k < K; k++) {
      const e = acc[i * K + k] / cnt[i] - (k === yIdx[rows[i]] ? 1 : 0);
      s += e * e;
    }
    out[i] = s;
  }
  return out;
}

/** LOCO d for every map and the refit null e, summed per case over the fits (see the header). */
export async function locoImportance(binned: BinnedMatrix, labels: ArrayLike<number>, yIdx: Int32Array, o: LocoOptions): Promise<LocoResult> {
  const n = binned.rows;
  const G = o.nGroups;
  const B = o.refits;
  const sum = new Float64Array(G * n);
  const nullSum = new Float64Array(B * n);
  const count = new Int32Array(n);
  const total = o.fits.length * (G + B);
  let done = 0;
  const reduced = Array.from({ length: G }, (_, g) => withoutGroup(binned, o.groupOf, g));
  for (let fi = 0; fi < o.fits.length; fi++) {
    const fit = o.fits[fi];
    const full = o.fullBrier[fi];
    const fitSeed = deriveSeed(o.seed, fi, 0x6c6f636f);
    for (let i = 0; i < fit.eval.length; i++) if (!Number.isNaN(full[i])) count[fit.eval[i]]++;
    // Adds (other - full) per evaluated case into out[slot * n + r]; a case the other forest cannot
    // predict (out of bag for none of its trees) adds 0.
    const accumulate = (other: Float64Array, out: Float64Array, slot: number): void => {
      for (let i = 0; i < fit.eval.length; i++) {
        if (Number.isNaN(full[i])) continue;
        if (!Number.isNaN(other[i])) out[slot * n + fit.eval[i]] += other[i] - full[i];
      }
    };
    const refit = async (bm: BinnedMatrix, seed: number): Promise<Float64Array> => {
      const forest = new RandomForest({ ...o.forest, seed, oobScore: false });
      await forest.fitBinned(bm, labels, { rows: fit.train });
      const b = heldOutBrier(forest, bm, yIdx, fit);
      o.onProgress?.(++done, total);
      return b;
    };
    for (let g = 0; g < G; g++) {
      if (reduced[g].cols === binned.cols) continue; // a map without columns: d = 0
      accumulate(await refit(reduced[g], deriveSeed(fitSeed, g)), sum, g);
    }
    for (let j = 0; j < B; j++) accumulate(await refit(binned, deriveSeed(fitSeed, G + j)), nullSum, j);
  }
  return { sum, nullSum, count };
}

// Bootstrap stability of the map ranking: refit on bootstrap resamples of the training rows and record
// how often each map comes first and how often it is in the top k. A map that is "most important" in
// only 40% of refits is not a finding to build a story on, whatever its mean importance.
//
// Each refit ranks maps by the PIMP statistic (per-tree OOB grouped permutation importance by default),
// which every refit yields at almost no extra cost; the headline ranking of rankFeatureMaps uses
// held-out permutation importance of one forest, so the two can differ where maps are close.

import { RandomForest, type BinnedMatrix } from '../../forest/index.js';
import { Random, deriveSeed } from '../../core/random.js';
import { gatherRefits, mineOf } from './refit-share.js';
import { groupStatistic, type GroupedRefitOptions } from './pimp.js';

export interface StabilityOptions extends GroupedRefitOptions {
  /** Bootstrap refits. Default 30. */
  bootstraps?: number;
  /** k of "top k". Default 3. */
  topK?: number;
}

export interface StabilityResult {
  bootstraps: number;
  topK: number;
  /** Fraction of refits with the map ranked first. */
  top1: Float64Array;
  /** Fraction of refits with the map in the top k. */
  topKFraction: Float64Array;
  /** Mean 1-based rank over refits. */
  meanRank: Float64Array;
}

/** Ranks maps by decreasing statistic (ties by index); returns map indices. */
export function rankOrder(stat: ArrayLike<number>): number[] {
  return Array.from({ length: stat.length }, (_, i) => i).sort((a, b) => stat[b] - stat[a] || a - b);
}

export async function rankStability(binned: BinnedMatrix, labels: ArrayLike<number>, o: StabilityOptions): Promise<StabilityResult> {
  const B = Math.floor(o.bootstraps ?? 30);
  const G = o.nGroups;
  const k = Math.max(1, Math.min(G, Math.floor(o.topK ?? 3)));
  const statistic = o.statistic ?? 'oob-permutation';
  const seed = (o.seed ?? 0) >>> 0;
  const base = o.rows ? Int32Array.from(o.rows) : Int32Array.from({ length: binned.rows }, (_, i) => i);
  const top1 = new Float64Array(G);
  const topK = new Float64Array(G);
  const rankSum = new Float64Array(G);
  const mine = mineOf(B, o.share);
  const own = new Float64Array(mine.length * G);
  let next = 0;
  let done = 0;
  const one = async (j: number): Promise<void> => {
    const b = mine[j]!;
    const rng = new Random(deriveSeed(seed, b, 0x626f6f74));
    const rows = new Int32Array(base.length);
    for (let i = 0; i < rows.length; i++) rows[i] = base[rng.int(base.length)];
    const forest = new RandomForest({ ...o.forest, oobScore: false, seed: deriveSeed(seed, b, 0x66727374) });
    await forest.fitBinned(binned, labels, { rows, groups: statistic === 'oob-permutation' ? { groupOf: o.groupOf, nGroups: G } : null });
    own.set(groupStatistic(forest, statistic, o.groupOf, G), j * G);
    o.onProgress?.(++done, mine.length);
  };
  const lanes = Array.from({ length: Math.min(Math.max(1, o.concurrency ?? 2), mine.length) }, async () => {
    while (next < mine.length) await one(next++);
  });
  await Promise.all(lanes);
  const all = gatherRefits(own, B, G, o.share);
  const stats = Array.from({ length: B }, (_, b) => all.subarray(b * G, (b + 1) * G));
  for (let b = 0; b < B; b++) {
    const order = rankOrder(stats[b]);
    top1[order[0]]++;
    for (let j = 0; j < G; j++) {
      if (j < k) topK[order[j]]++;
      rankSum[order[j]] += j + 1;
    }
  }
  for (let g = 0; g < G; g++) {
    top1[g] /= Math.max(1, B);
    topK[g] /= Math.max(1, B);
    rankSum[g] /= Math.max(1, B);
  }
  return { bootstraps: B, topK: k, top1, topKFraction: topK, meanRank: rankSum };
}

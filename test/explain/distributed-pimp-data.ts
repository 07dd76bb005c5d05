// The PIMP problem of test/explain/distributed-pimp.test.ts: 120 rows, 3 maps of 2 columns each, the label
// carried by map 0 only (seeded, so every process builds the same matrix).
import { Random } from '../../src/core/random.js';
import { binMatrix } from '../../src/forest/index.js';
import { pimpNull, type PimpNull } from '../../src/explain/importance/pimp.js';
import { rankStability, type StabilityResult } from '../../src/explain/importance/stability.js';
import type { RefitShare } from '../../src/explain/importance/refit-share.js';

export const PERMUTATIONS = 7; // not a multiple of 2 or 3: the ranks' shares differ in length

function problem() {
  const rng = new Random(11);
  const rows = Array.from({ length: 120 }, () => Array.from({ length: 6 }, () => rng.next()));
  const labels = rows.map((r) => (r[0]! + 0.3 * rng.next() > 0.65 ? 1 : 0));
  return { binned: binMatrix(rows), labels };
}

export function pimpProblem(share?: RefitShare, onProgress?: (done: number, total: number) => void): Promise<PimpNull> {
  const { binned, labels } = problem();
  return pimpNull(binned, labels, {
    groupOf: [0, 0, 1, 1, 2, 2],
    nGroups: 3,
    permutations: PERMUTATIONS,
    forest: { nTrees: 8, maxDepth: 4 },
    seed: 9,
    ...(share ? { share } : {}),
    ...(onProgress ? { onProgress } : {}),
  });
}

/** Bootstrap stability of the same maps, 5 refits. */
export function stabilityProblem(share?: RefitShare): Promise<StabilityResult> {
  const { binned, labels } = problem();
  return rankStability(binned, labels, {
    groupOf: [0, 0, 1, 1, 2, 2],
    nGroups: 3,
    bootstraps: 5,
    topK: 1,
    forest: { nTrees: 8, maxDepth: 4 },
    seed: 4,
    ...(share ? { share } : {}),
  });
}

// The ranking problems of test/explain/distributed-rank.test.ts (seeded, so every process builds the same
// table): 90 cases, 3 maps of 2 columns, the label carried by map 0.
// - 'cases': 3-fold CV with the t approximation; the marginal null shuffles cases, LOCO's null is refits
//   with other seeds.
// - 'exact': the same with exact p-values, so LOCO's null is LOCO re-made on shuffled labels.
// - 'slices': 15 subjects of 6 slices whose label runs along the slices, out-of-bag evaluation (every
//   subject on both sides), so both nulls rotate labels along each subject's slices.
import { Random } from '../../src/core/random.js';
import type { Table } from '../../src/core/table.js';
import { rankFeatureMaps } from '../../src/explain/importance/index.js';
import type { RankOptions, RankResult } from '../../src/explain/importance/types.js';
import type { RefitShare } from '../../src/explain/importance/refit-share.js';

export type RankProblem = 'cases' | 'exact' | 'slices';
/** Refit counts: none a multiple of 2, so the ranks' shares differ in length. */
export const NULLS = { marginalNull: 5, conditionalNull: 5, nullPermutations: 3, stabilityBootstraps: 3 } as const;
const N = 90;
const SLICES = 6;

function table(): { features: Table; labels: number[] } {
  const rng = new Random(21);
  const data = new Float32Array(N * 6);
  const labels: number[] = [];
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < 6; j++) data[i * 6 + j] = rng.next();
    // Map 1 copies map 0 loosely, so the marginal and conditional answers differ.
    data[i * 6 + 2] = 0.6 * data[i * 6]! + 0.4 * data[i * 6 + 2]!;
    labels.push(data[i * 6]! + 0.4 * rng.next() > 0.7 ? 1 : 0);
  }
  return { features: { data, rows: N, cols: 6, groupOf: [0, 0, 1, 1, 2, 2], groupNames: ['map0', 'map1', 'map2'] }, labels };
}

export function rankProblem(problem: RankProblem, share?: RefitShare, onProgress?: RankOptions['onProgress']): Promise<RankResult> {
  const { features, labels } = table();
  const slices =
    problem === 'slices'
      ? {
          evaluation: 'oob' as const,
          caseGroups: Array.from({ length: N }, (_, i) => Math.floor(i / SLICES)),
          caseOrder: Array.from({ length: N }, (_, i) => i % SLICES),
        }
      : { evaluation: 'cv' as const, folds: 3, exactNull: problem === 'exact' };
  return rankFeatureMaps(features, labels, {
    ...slices,
    ...NULLS,
    forest: { nTrees: 8, maxDepth: 4 },
    repeats: 2,
    seed: 3,
    ...(share ? { share } : {}),
    ...(onProgress ? { onProgress } : {}),
  });
}

/** A result as JSON would carry it, without its timings (the one part that may differ between runs). */
export function verdicts(r: RankResult): unknown {
  const { timings: _timings, ...rest } = r;
  return JSON.parse(JSON.stringify(rest));
}

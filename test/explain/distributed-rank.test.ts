// rankFeatureMaps with every refit stage split over 2 local ranks (the marginal null's label shuffles,
// LOCO's forests and its null, PIMP, stability) equals the single-process ranking exactly on every rank,
// for every kind of null: shuffles and seed refits, shuffles and LOCO on shuffles (exact p-values), and
// rotations along each subject's slices.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { hasDistributed } from '../../src/engine/index.js';
import { mineOf } from '../../src/explain/importance/refit-share.js';
import type { RankResult } from '../../src/explain/importance/types.js';
import { lastJson, runRanks } from '../helpers/ranks.js';
import { NULLS, rankProblem, verdicts, type RankProblem } from './distributed-rank-data.js';

const worker = fileURLToPath(new URL('./distributed-rank-worker.js', import.meta.url));
const skip = hasDistributed() ? false : 'the addon was built without Gloo (libgloo-dev)';
const W = 2;
const KINDS: Record<RankProblem, { marginal: string; conditional: string }> = {
  cases: { marginal: 'cases', conditional: 'refits' },
  exact: { marginal: 'cases', conditional: 'label permutations' },
  slices: { marginal: 'within-group shifts', conditional: 'within-group shifts' },
};

describe('distributed ranking', { concurrency: true }, () => {
  for (const problem of ['cases', 'exact', 'slices'] as const) {
    test(`${problem}: ${W} ranks give the single-process RankResult, bit for bit, each fitting its share`, { skip }, async () => {
      const [results, single] = await Promise.all([runRanks(worker, [problem], { worldSize: W }), rankProblem(problem)]);
      assert.equal(single.settings.marginalNullPermutation, KINDS[problem].marginal);
      assert.equal(single.settings.conditionalNullKind, KINDS[problem].conditional);
      // Nulls that vary, so equal results are not one value repeated.
      const G = single.groups.length;
      assert.ok(single.groups.some((g) => g.marginal.null!.std > 0));
      assert.ok(single.groups.some((g) => g.conditional!.null!.std > 0));
      const want = verdicts(single) as RankResult;
      for (const r of results) {
        assert.equal(r.code, 0, r.stderr);
        const o = lastJson<{ rank: number; totals: Record<string, number>; result: unknown }>(r);
        assert.deepEqual(o.result, want);
        const mine = (n: number) => mineOf(n, { rank: o.rank, worldSize: W, allgather: () => [] }).length;
        const locoSlots = G + (problem === 'cases' ? NULLS.conditionalNull : 0);
        assert.deepEqual(
          {
            marginal: o.totals['marginal-null'],
            loco: o.totals.conditional,
            locoNull: o.totals['conditional-null'],
            pimp: o.totals.null,
            stability: o.totals.stability,
          },
          {
            marginal: mine(NULLS.marginalNull),
            loco: single.nFits * mine(locoSlots),
            locoNull: problem === 'cases' ? undefined : mine(NULLS.conditionalNull),
            pimp: mine(NULLS.nullPermutations),
            stability: mine(NULLS.stabilityBootstraps),
          },
        );
      }
    });
  }
});

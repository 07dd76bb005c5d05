// PIMP's null split over 2 and 3 local ranks (permutation p on rank p mod W, results gathered) equals the
// single-process null exactly on every rank (bootstrap stability likewise): each refit is seeded by its own
// index.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { hasDistributed } from '../../src/engine/index.js';
import { gatherRefits, mineOf } from '../../src/explain/importance/refit-share.js';
import { lastJson, runRanks } from '../helpers/ranks.js';
import { PERMUTATIONS, pimpProblem, stabilityProblem } from './distributed-pimp-data.js';

const worker = fileURLToPath(new URL('./distributed-pimp-worker.js', import.meta.url));
const skip = hasDistributed() ? false : 'the addon was built without Gloo (libgloo-dev)';

test('refit shares: rank r takes r, r + W, ...; gathering puts every rank’s rows back in index order', () => {
  assert.deepEqual(mineOf(7, { rank: 1, worldSize: 3, allgather: () => [] }), [1, 4]);
  // Rank 0 of 3 holds refits 0, 3, 6; the exchange returns each rank's padded rows (2 values a refit).
  const parts = [Float64Array.of(0, 0.5, 3, 3.5, 6, 6.5), Float64Array.of(1, 1.5, 4, 4.5, 0, 0), Float64Array.of(2, 2.5, 5, 5.5, 0, 0)];
  const all = gatherRefits(parts[0]!, 7, 2, { rank: 0, worldSize: 3, allgather: () => parts });
  assert.deepEqual(Array.from(all), [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5]);
});

describe('distributed PIMP', { concurrency: true }, () => {
  for (const W of [2, 3]) {
    test(`${W} ranks give the single-process null and stability, bit for bit, each fitting its share`, { skip }, async () => {
      const [results, single, stab] = await Promise.all([runRanks(worker, [], { worldSize: W }), pimpProblem(), stabilityProblem()]);
      for (const r of results) {
        assert.equal(r.code, 0, r.stderr);
        const o = lastJson<{ rank: number; fitted: number; null: number[]; meanRank: number[]; top1: number[] }>(r);
        assert.equal(o.fitted, mineOf(PERMUTATIONS, { rank: o.rank, worldSize: W, allgather: () => [] }).length);
        assert.deepEqual(o.null, Array.from(single.null));
        assert.deepEqual(o.meanRank, Array.from(stab.meanRank));
        assert.deepEqual(o.top1, Array.from(stab.top1));
      }
      // Distinct refits (each its own seed), so the equality is not one value repeated.
      assert.ok(new Set(Array.from(single.null)).size > 3);
    });
  }
});

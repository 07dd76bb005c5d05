// The data-parallel order equals PyTorch's DistributedSampler: known answers printed by PyTorch 1.13
// itself (test/fixtures/make_distributed_sampler.py), including padding that wraps round (n < W).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import test from 'node:test';
import { fileURLToPath } from 'node:url';
import { distributedSamplerIndices, paddedOrder } from '../../src/train/distributed/sampler.js';

interface Case {
  n: number;
  worldSize: number;
  seed: number;
  epoch: number;
  ranks: number[][];
}
const fixture = fileURLToPath(new URL('../../../test/fixtures/distributed_sampler.expected.json', import.meta.url));
const expected = JSON.parse(readFileSync(fixture, 'utf8')) as { torch: string; cases: Case[] };

test("rank r's indices equal DistributedSampler(num_replicas=W, rank=r, seed).set_epoch(e) of PyTorch 1.13", () => {
  for (const c of expected.cases) {
    for (let rank = 0; rank < c.worldSize; rank++) {
      const got = [...distributedSamplerIndices(c.n, { worldSize: c.worldSize, rank, seed: c.seed, epoch: c.epoch })];
      assert.deepEqual(got, c.ranks[rank], `n ${c.n}, W ${c.worldSize}, seed ${c.seed}, epoch ${c.epoch}, rank ${rank}`);
    }
  }
});

test('the ranks interleave the padded order: global batch k of B is positions kB..kB+B-1 whatever W', () => {
  const order = paddedOrder(12, { worldSize: 1, seed: 3, epoch: 1 });
  const ranks = [0, 1, 2].map((rank) => distributedSamplerIndices(12, { worldSize: 3, rank, seed: 3, epoch: 1 }));
  // Per-rank batch 2 (global 6): step k's union is order[6k .. 6k + 6).
  for (let k = 0; k < 2; k++) {
    const union = ranks.flatMap((r) => [...r.subarray(2 * k, 2 * k + 2)]).sort((a, b) => a - b);
    assert.deepEqual(
      union,
      [...order.subarray(6 * k, 6 * k + 6)].sort((a, b) => a - b),
    );
  }
});

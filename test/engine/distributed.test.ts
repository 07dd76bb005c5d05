// c10d through the addon: 2 and 3 local ranks (child processes, torchrun's variables, a free port on
// 127.0.0.1) run allreduce / broadcast / allgather / barrier with known answers, and every way a group
// can break (a rank exits, a rank hangs, no store, a rank never joins) ends the others with an error
// naming the failed rank within the timeout (plus the 3 s the survivors wait for each other's reports).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { hasDistributed } from '../../src/engine/index.js';
import { lastJson, runRanks } from '../helpers/ranks.js';

const worker = fileURLToPath(new URL('./distributed-worker.js', import.meta.url));
const skip = hasDistributed() ? false : 'the addon was built without Gloo (libgloo-dev)';

interface Collectives {
  rank: number;
  worldSize: number;
  sum: number[];
  max: number[];
  product: number[];
  broadcast: number[];
  gathered: number[][];
  gatheredShape: number[];
}
interface Failure {
  rank?: number;
  error: string | null;
  ms: number;
}

// Concurrently: most of each test is waiting (for timeouts, or libtorch loading in the children).
describe('c10d process groups', { concurrency: true }, () => {
  for (const W of [2, 3]) {
    test(`${W} ranks: allreduce (sum, max, product), broadcast, allgather and barrier give the known answers`, { skip }, async () => {
      const results = await runRanks(worker, ['collectives', '20000'], { worldSize: W });
      const tri = (W * (W + 1)) / 2;
      let factorial = 1;
      for (let k = 2; k <= W; k++) factorial *= k;
      for (const r of results) {
        assert.equal(r.code, 0, r.stderr);
        const o = lastJson<Collectives>(r);
        assert.equal(o.worldSize, W);
        // Small integers in float32: every summation order gives them exactly.
        assert.deepEqual(o.sum, [tri, 10 * tri, -(tri - W)]);
        assert.deepEqual(o.max, [W - 1, 0]);
        assert.deepEqual(o.product, [factorial, 2 ** W]);
        assert.deepEqual(o.broadcast, [W - 1, (W - 1) * 100]);
        assert.deepEqual(
          o.gathered,
          Array.from({ length: W }, (_, k) => [k, k * k]),
        );
        assert.deepEqual(o.gatheredShape, [1, 2]);
      }
    });
  }

  test('a rank that exits ends the others at their next collective, naming it', { skip }, async () => {
    const results = await runRanks(worker, ['die', '10000'], { worldSize: 3 });
    assert.equal(results[1]!.code, 3);
    for (const r of [results[0]!, results[2]!]) {
      const o = lastJson<Failure>(r);
      assert.match(o.error ?? '', new RegExp(`^distributed: rank ${r.rank} of 3: allreduce #2 failed: peer rank 1 closed the connection`));
      // The connection closes at once; the survivors then wait at most 3 s for each other's reports.
      assert.ok(o.ms < 6000, `failed after ${o.ms} ms`);
    }
  });

  test('a rank that hangs ends the others after the timeout, naming it', { skip }, async () => {
    const results = await runRanks(worker, ['hang', '2000'], { worldSize: 2 });
    const o = lastJson<Failure>(results[0]!);
    assert.match(o.error ?? '', /^distributed: rank 0 of 2: allreduce #2 failed: peer rank 1 did not answer within 2 s/);
    assert.ok(o.ms >= 1900 && o.ms < 2000 + 3000 + 2000, `failed after ${o.ms} ms`);
  });

  test('a store that cannot be reached fails the rendezvous within the timeout, saying where it looked', { skip }, async () => {
    const results = await runRanks(worker, ['collectives', '2000'], { worldSize: 2, ranks: [1] });
    const o = lastJson<Failure>(results[0]!);
    assert.match(o.error ?? '', /^distributed: rank 1 of 2: could not reach the rendezvous store at 127\.0\.0\.1:\d+ within 2 s/);
    assert.match(o.error ?? '', /MASTER_ADDR\/MASTER_PORT/);
    assert.ok(o.ms < 2000 + 4000, `failed after ${o.ms} ms`);
  });

  test('a rank that never joins fails the rendezvous of the others, naming it', { skip }, async () => {
    const results = await runRanks(worker, ['collectives', '2000'], { worldSize: 3, ranks: [0, 1] });
    for (const r of results) {
      const o = lastJson<Failure>(r);
      assert.match(o.error ?? '', new RegExp(`^distributed: rank ${r.rank} of 3: rendezvous failed within 2 s \\(rank 2 never joined\\)`));
      // Gloo's rendezvous waits on the store twice (its keys, then the connections), each up to the timeout.
      assert.ok(o.ms < 2 * 2000 + 4000, `failed after ${o.ms} ms`);
    }
  });
});

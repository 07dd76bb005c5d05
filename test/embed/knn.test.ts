// Exact kNN: the k nearest by (squared distance, index), the same on one thread and on workers, also when
// many distances tie (small-integer coordinates), which is where the heap's tie-break decides.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../../src/core/random.js';
import { exactKnn } from '../../src/embed/index.js';

/** The k nearest of row i by (squared distance, index), by sorting every other row. */
function naive(x: Float32Array, n: number, d: number, i: number, k: number): number[] {
  const dist = (j: number) => {
    let s = 0;
    for (let c = 0; c < d; c++) s += (x[i * d + c]! - x[j * d + c]!) ** 2;
    return s;
  };
  return Array.from({ length: n }, (_, j) => j)
    .filter((j) => j !== i)
    .map((j) => [j, dist(j)] as const)
    .sort((a, b) => a[1] - b[1] || a[0] - b[0])
    .slice(0, k)
    .map((p) => p[0]);
}

test('exact kNN with ties: (distance, index) order, identical on 1, 2 and 3 threads', () => {
  // 1200 x 96 is above the size from which workers are used; coordinates in {0, 1, 2} make ties common.
  const n = 1200,
    d = 96,
    k = 15;
  const rng = new Random(7);
  const x = new Float32Array(n * d).map(() => Math.floor(rng.next() * 3));
  for (let c = 0; c < d; c++) x[5 * d + c] = x[900 * d + c] = x[901 * d + c]!; // duplicates: exact ties at every distance
  const one = exactKnn(x, n, d, k, 1);
  let ties = 0;
  for (let i = 0; i < n; i++) for (let a = 1; a < k; a++) if (one.sqDistances[i * k + a] === one.sqDistances[i * k + a - 1]) ties++;
  assert.ok(ties > n, `ties among neighbours: ${ties}`);
  for (const i of [0, 5, 450, 900, 901, n - 1])
    assert.deepEqual(Array.from(one.indices.subarray(i * k, i * k + k)), naive(x, n, d, i, k), `row ${i}`);
  for (const threads of [2, 3]) {
    const many = exactKnn(x, n, d, k, threads);
    assert.deepEqual(many.indices, one.indices, `indices on ${threads} threads`);
    assert.deepEqual(many.sqDistances, one.sqDistances, `distances on ${threads} threads`);
  }
});

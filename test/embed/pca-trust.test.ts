import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../../src/core/random.js';
import { pca, fitPCA, trustworthiness, exactKnn } from '../../src/embed/index.js';

function lineData(n: number, d: number, axis: number[], sdAlong: number, sdNoise: number, seed: number): Float32Array {
  const rng = new Random(seed);
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const t = rng.normal(0, sdAlong);
    for (let c = 0; c < d; c++) x[i * d + c] = 3 + t * axis[c] + rng.normal(0, sdNoise);
  }
  return x;
}

test('PCA recovers a known principal axis, its variance and a positive largest loading', () => {
  const d = 5;
  const raw = [1, -2, 0.5, 0, 3];
  const norm = Math.hypot(...raw);
  const axis = raw.map((v) => -v / norm); // largest loading negative: the sign convention must flip it
  const n = 4000;
  const m = pca(lineData(n, d, axis, 4, 0.1, 1), n, d, { components: 2 });
  const dot = axis.reduce((s, v, c) => s + v * m.components[c], 0);
  assert.ok(Math.abs(Math.abs(dot) - 1) < 1e-3, `axis recovered (|cos| = ${dot})`);
  assert.ok(m.components[4] > 0, 'largest-magnitude loading is positive');
  assert.ok(Math.abs(m.explainedVariance[0] - 16) < 16 * 0.06, `variance ~16, got ${m.explainedVariance[0]}`);
  assert.ok(Math.abs(m.explainedVariance[1] - 0.01) < 0.002, `second component is the noise, got ${m.explainedVariance[1]}`);
  assert.ok(m.explainedVarianceRatio[0] > 0.99);
});

test('PCA: subspace iteration (large D) and the implicit X^T X path agree with the exact solver', () => {
  const rng = new Random(3);
  const d = 150,
    n = 300;
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let c = 0; c < d; c++) x[i * d + c] = rng.normal() * (1 + (c % 7)) + (c < 3 ? 5 * Math.sin(i) : 0);
  const exact = pca(x, n, d, { components: 3, exactMaxDim: 1000 });
  const iterative = pca(x, n, d, { components: 3, exactMaxDim: 10 });
  for (let r = 0; r < 3; r++) {
    assert.ok(Math.abs(exact.explainedVariance[r] - iterative.explainedVariance[r]) < 1e-8 * exact.explainedVariance[0]);
    let dot = 0;
    for (let c = 0; c < d; c++) dot += exact.components[r * d + c] * iterative.components[r * d + c];
    assert.ok(dot > 1 - 1e-6, `component ${r} agrees with the same sign (dot ${dot})`);
  }
  const wide = 1100;
  const y = new Float32Array(40 * wide);
  for (let i = 0; i < y.length; i++) y[i] = rng.normal() + (i % wide === 7 ? 30 * rng.normal() : 0);
  const g = pca(y, 40, wide, { components: 1 });
  assert.ok(g.components[7] > 0.95, 'the high-variance column dominates the first axis');
});

test('trustworthiness equals the hand-computed value (and scikit-learn) on a tiny case', () => {
  // Points 0..5 on a line; the embedding swaps the two ends. Penalties (rank - k, k = 2):
  // point 0: 2 + 1, point 1: 3, point 4: 3, point 5: 2 + 1 -> 12; T = 1 - 12 * 2 / (6 * 2 * 5) = 0.6.
  const x = Float32Array.from([0, 1, 2, 3, 4, 5]);
  const e = Float32Array.from([5, 0, 1, 0, 2, 0, 3, 0, 4, 0, 0, 0]);
  assert.ok(Math.abs(trustworthiness(x, 6, 1, e, 2, 2) - 0.6) < 1e-12);
});

test('trustworthiness is 1 when the embedding is the data itself, lower for a shuffled one', () => {
  const rng = new Random(5);
  const n = 200;
  const x = new Float32Array(2 * n).map(() => rng.normal());
  assert.equal(trustworthiness(x, n, 2, x, 2, 5), 1);
  const shuffled = new Float32Array(2 * n);
  const perm = rng.permutation(n);
  for (let i = 0; i < n; i++) shuffled.set(x.subarray(2 * perm[i], 2 * perm[i] + 2), 2 * i);
  assert.ok(trustworthiness(x, n, 2, shuffled, 2, 5) < 0.7);
  assert.throws(() => trustworthiness(x, n, 2, x, 2, 100), /k < N\/2/);
});

test('exact kNN matches a naive sort and fitPCA returns the documented record', () => {
  const rng = new Random(9);
  const n = 150,
    d = 4;
  const x = new Float32Array(n * d).map(() => rng.normal());
  const g = exactKnn(x, n, d, 6);
  for (const i of [0, 17, 149]) {
    const naive = Array.from({ length: n }, (_, j) => j)
      .filter((j) => j !== i)
      .map((j) => [j, x.subarray(j * d, j * d + d).reduce((s, v, c) => s + (v - x[i * d + c]) ** 2, 0)])
      .sort((a, b) => a[1] - b[1] || a[0] - b[0])
      .slice(0, 6)
      .map((p) => p[0]);
    assert.deepEqual(Array.from(g.indices.subarray(i * 6, i * 6 + 6)), naive);
  }
  const r = fitPCA(x, n, d);
  assert.equal(r.method, 'pca');
  assert.equal(r.coords.length, 2 * n);
  assert.ok(r.trustworthiness > 0.5 && r.trustworthiness <= 1);
  assert.ok(r.seconds >= 0);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TSNE, UMAP, fitTSNE, fitUMAP, embedAsync } from '../../src/embed/index.js';
import { findABParams } from '../../src/embed/umap-graph.js';
import { ATTRACTION_FROM, attractionTable, TABLE_STEP } from '../../src/embed/umap.js';
import { gaussianClusters, knnAccuracy } from './clusters.js';

const blobs = gaussianClusters(100, 3, 10, 6, 11);

test('t-SNE separates well-separated Gaussian clusters and keeps trustworthiness high', () => {
  const r = fitTSNE(blobs.data, blobs.n, 10, { perplexity: 20, maxIterations: 500, seed: 1 });
  const acc = knnAccuracy(r.coords, blobs.labels);
  assert.ok(acc >= 0.95, `kNN accuracy ${acc}`);
  assert.ok(r.trustworthiness > 0.9, `trustworthiness ${r.trustworthiness}`);
  assert.equal(r.method, 'tsne');
  assert.equal(r.params.learningRateUsed, 50);
  assert.ok(Number.isFinite(r.params.klDivergence as number));
});

test('t-SNE: same seed gives identical coordinates, another seed differs, thread count does not matter', () => {
  const opts = { init: 'random' as const, maxIterations: 150, perplexity: 15 };
  const a = fitTSNE(blobs.data, blobs.n, 10, { ...opts, seed: 7, trustworthinessK: 0 });
  const b = fitTSNE(blobs.data, blobs.n, 10, { ...opts, seed: 7, trustworthinessK: 0 });
  const c = fitTSNE(blobs.data, blobs.n, 10, { ...opts, seed: 8, trustworthinessK: 0 });
  assert.deepEqual(a.coords, b.coords);
  assert.notDeepEqual(a.coords, c.coords);
  assert.ok(Number.isNaN(a.trustworthiness));
  const big = gaussianClusters(400, 3, 8, 6, 2); // 1200 points: enough for the worker pool to engage
  const one = fitTSNE(big.data, big.n, 8, { maxIterations: 60, threads: 1, trustworthinessK: 0 });
  const two = fitTSNE(big.data, big.n, 8, { maxIterations: 60, threads: 2, trustworthinessK: 0 });
  assert.deepEqual(one.coords, two.coords);
});

test('t-SNE step-wise API runs exactly the requested iterations', () => {
  const t = new TSNE({ maxIterations: 40, perplexity: 10 });
  assert.equal(t.initializeFit(blobs.data, blobs.n, 10), 40);
  let steps = 1;
  while (t.step()) steps++;
  assert.equal(steps, 40);
  assert.equal(t.iterations, 40);
  assert.equal(t.getEmbedding().length, 2 * blobs.n);
  assert.throws(() => new TSNE({ perplexity: 400 }).initializeFit(blobs.data, blobs.n, 10), /perplexity/);
});

test('UMAP curve parameters match umap-learn for min_dist 0.1, spread 1', () => {
  const { a, b } = findABParams(1, 0.1);
  assert.ok(Math.abs(a - 1.577) < 2e-3 && Math.abs(b - 0.8951) < 1e-3, `a ${a}, b ${b}`);
});

test("UMAP's attraction table interpolates the exact gradient magnitude to 0.3% where it is used (d >= 1/16)", () => {
  for (const minDist of [0, 0.1, 0.5, 0.99]) {
    const { a, b } = findABParams(1, minDist);
    const table = attractionTable(a, b);
    const exact = (d: number) => (2 * a * b * Math.pow(d * d, b)) / (d * (a * Math.pow(d * d, b) + 1));
    let worst = 0;
    for (let d = ATTRACTION_FROM; d < 64; d += TABLE_STEP / 7.3) {
      const u = d / TABLE_STEP;
      const i = Math.floor(u);
      worst = Math.max(worst, Math.abs(table[i]! + (u - i) * (table[i + 1]! - table[i]!) - exact(d)) / exact(d));
    }
    assert.ok(worst < 3e-3, `min_dist ${minDist}: relative error ${worst}`);
  }
});

test('UMAP separates well-separated Gaussian clusters and keeps trustworthiness high', () => {
  const r = fitUMAP(blobs.data, blobs.n, 10, { nEpochs: 200, seed: 3 });
  const acc = knnAccuracy(r.coords, blobs.labels);
  assert.ok(acc >= 0.95, `kNN accuracy ${acc}`);
  assert.ok(r.trustworthiness > 0.9, `trustworthiness ${r.trustworthiness}`);
  assert.equal(r.params.nEpochs, 200);
});

test('UMAP: same seed gives identical coordinates, another seed differs', () => {
  const a = fitUMAP(blobs.data, blobs.n, 10, { nEpochs: 50, seed: 4, trustworthinessK: 0 });
  const b = fitUMAP(blobs.data, blobs.n, 10, { nEpochs: 50, seed: 4, trustworthinessK: 0 });
  const c = fitUMAP(blobs.data, blobs.n, 10, { nEpochs: 50, seed: 5, trustworthinessK: 0 });
  assert.deepEqual(a.coords, b.coords);
  assert.notDeepEqual(a.coords, c.coords);
});

test('fitAsync yields to the event loop and reports progress up to the total', async () => {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 0);
  const seen: number[] = [];
  const r = await new UMAP({ nEpochs: 60, trustworthinessK: 0 }).fitAsync(blobs.data, blobs.n, 10, (p) => {
    seen.push(p.step);
  });
  clearInterval(timer);
  assert.ok(ticks > 5, `timers ran during the fit (${ticks})`);
  assert.equal(seen.at(-1), 60);
  assert.equal(r.params.epochsRun, 60);
  const stopped = await embedAsync(
    blobs.data,
    blobs.n,
    10,
    { method: 'tsne', maxIterations: 500, trustworthinessK: 0 },
    (p) => p.step < 100,
  );
  assert.ok((stopped.params.iterationsRun as number) < 500, 'returning false stops early');
});

// The native growth loop and OOB permutation importance (native/forest-tree.cc) against tree.ts's
// TypeScript, their reference: the same trees, impurity importances, OOB permutation importances and
// random stream, bit for bit, over every node-size path, growth limit, batch size and group layout.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { binMatrix, rowMajorCodes } from '../../src/forest/binning.js';
import { forestAddon } from '../../src/forest/native-tree.js';
import { buildTree, type TreeData, type TreeParams } from '../../src/forest/tree.js';
import { Random } from '../../src/core/random.js';
import { giniTreeParams } from './helpers.js';

const gini = giniTreeParams;

/** n rows of d columns: column 0 carries the label when `signal`, columns 1 and 2 are constant, the rest noise in few or many bins. */
function dataset(n: number, d: number, signal: boolean, seed: number): TreeData {
  const rng = new Random(seed);
  const y = Int32Array.from({ length: n }, () => (rng.next() < 0.3 ? 1 : 0));
  const x = new Float32Array(n * d);
  for (let r = 0; r < n; r++)
    for (let c = 0; c < d; c++) {
      const v = c === 1 || c === 2 ? 1 : rng.normal() + (signal && c === 0 ? 2 * y[r] : 0);
      x[r * d + c] = c % 5 === 4 ? Math.round(v * 2) : v; // some columns with a handful of bins
    }
  const binned = binMatrix({ data: x, rows: n, cols: d });
  return {
    n,
    d,
    codes: binned.codes,
    rowCodes: rowMajorCodes(binned),
    nBins: binned.nBins,
    yClass: y,
    yReg: null,
    weight: null,
    rows: Int32Array.from({ length: n }, (_, i) => i),
    groupOf: Int32Array.from({ length: d }, (_, f) => f % 5),
    nGroups: 5,
  };
}

test('the native growth loop is built and loads (./run.sh setup builds build/Release/latentlens_forest.node)', () => {
  assert.ok(forestAddon() !== null, 'latentlens_forest.node did not load; LATENTLENS_FOREST_NATIVE=0 must not be set for the tests');
});

test('native and TypeScript growth give the same trees, importances and random stream, bit for bit', () => {
  // 1500 rows: the root is above the 512-sample dense and row-major limits, so every fill path runs.
  const noise = dataset(1500, 30, false, 3);
  const signal = dataset(1500, 30, true, 4);
  const cases: Array<{ what: string; data: TreeData; p: TreeParams; minNodes: number }> = [
    { what: 'noise labels, mtry 6 (batches of 4 and 2)', data: noise, p: gini, minNodes: 300 },
    { what: 'signal in column 0', data: signal, p: gini, minNodes: 100 },
    { what: 'column-major only', data: { ...noise, rowCodes: null }, p: gini, minNodes: 300 },
    { what: 'mtry 1', data: noise, p: { ...gini, mtry: 1 }, minNodes: 300 },
    { what: 'mtry = d (constant columns skipped)', data: noise, p: { ...gini, mtry: 30 }, minNodes: 300 },
    { what: 'maxDepth 6', data: noise, p: { ...gini, maxDepth: 6 }, minNodes: 40 },
    { what: 'minSamplesSplit 20', data: noise, p: { ...gini, minSamplesSplit: 20 }, minNodes: 60 },
    { what: 'minImpurityDecrease', data: signal, p: { ...gini, minImpurityDecrease: 2e-4 }, minNodes: 5 },
    { what: 'no bootstrap', data: noise, p: { ...gini, bootstrap: false }, minNodes: 300 },
    { what: 'bootstrap of 300 draws', data: noise, p: { ...gini, maxSamples: 300 }, minNodes: 50 },
    { what: 'a subset of rows', data: { ...noise, rows: Int32Array.from({ length: 700 }, (_, i) => 2 * i) }, p: gini, minNodes: 150 },
    // Grown in TypeScript, OOB importances in native code:
    { what: 'entropy', data: noise, p: { ...gini, criterion: 'entropy' }, minNodes: 300 },
    {
      what: 'fractional weights',
      data: { ...noise, weight: Float64Array.from({ length: 1500 }, (_, i) => 0.5 + (i % 3)) },
      p: gini,
      minNodes: 300,
    },
    {
      what: '30 groups of one column',
      data: { ...noise, groupOf: Int32Array.from({ length: 30 }, (_, f) => f), nGroups: 30 },
      p: gini,
      minNodes: 300,
    },
    // More than 32 groups: no path masks, every permuted row re-traversed from the root.
    {
      what: '40 groups, 10 of them empty',
      data: { ...noise, groupOf: Int32Array.from({ length: 30 }, (_, f) => f + 10), nGroups: 40 },
      p: gini,
      minNodes: 300,
    },
  ];
  for (const c of cases) {
    for (const seed of [1, 2]) {
      const nat = buildTree(c.data, c.p, seed, true);
      const ts = buildTree(c.data, c.p, seed, false);
      assert.ok(nat.tree.feature.length >= c.minNodes, `${c.what}: ${nat.tree.feature.length} nodes, expected >= ${c.minNodes}`);
      if (c.p.bootstrap) assert.ok(nat.oobPerm !== null, `${c.what}: OOB permutation importances (they continue the random stream)`);
      assert.deepEqual(nat, ts, `${c.what}, seed ${seed}`);
    }
  }
});

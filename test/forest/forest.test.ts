// Random forest: accuracy against known optima, regression on a known function, determinism across
// thread counts, OOB sanity, serialisation, class weights and the growth limits.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { RandomForest, binMatrix, closeSharedPool, type Matrix } from '../../src/forest/index.js';
import { rowMajorCodes } from '../../src/forest/binning.js';
import { buildTree } from '../../src/forest/tree.js';
import { Random } from '../../src/core/random.js';
import { giniTreeParams, normalCdf } from './helpers.js';

after(() => closeSharedPool());

/** Two Gaussian classes (equal priors) at -mu and +mu along column 0, sd 1; other columns pure noise. */
function gaussians(n: number, d: number, mu: number, seed: number): { X: Matrix; y: Float64Array } {
  const rng = new Random(seed);
  const data = new Float32Array(n * d);
  const y = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    y[r] = rng.next() < 0.5 ? 0 : 1;
    for (let c = 0; c < d; c++) data[r * d + c] = rng.normal() + (c === 0 ? (y[r] === 1 ? mu : -mu) : 0);
  }
  return { X: { data, rows: n, cols: d }, y };
}

function accuracy(pred: ArrayLike<number>, y: ArrayLike<number>): number {
  let c = 0;
  for (let i = 0; i < y.length; i++) if (pred[i] === y[i]) c++;
  return c / y.length;
}

describe('random forest classification', () => {
  test('two Gaussians: test accuracy near the Bayes rate Phi(mu)', async () => {
    const mu = 1;
    const bayes = normalCdf(mu); // 0.8413: the best any classifier can do
    const train = gaussians(2000, 4, mu, 1);
    const testSet = gaussians(4000, 4, mu, 2);
    const f = await new RandomForest({ nTrees: 100, minSamplesLeaf: 10, seed: 3, threads: 2 }).fit(train.X, train.y);
    const acc = accuracy(f.predict(testSet.X), testSet.y);
    // SE of a 4000-row accuracy is ~0.006; a forest with 3 noise columns loses a little to variance.
    assert.ok(acc > bayes - 0.03, `accuracy ${acc} vs Bayes ${bayes}`);
    assert.ok(acc < bayes + 0.02, `accuracy ${acc} cannot beat Bayes ${bayes} by more than noise`);
    // The informative column dominates impurity importance.
    const fi = f.featureImportances;
    assert.ok(fi[0] > 2 * Math.max(fi[1], fi[2], fi[3]), `importances ${Array.from(fi)}`);
    assert.ok(Math.abs(fi.reduce((a, b) => a + b, 0) - 1) < 1e-9);
  });

  test('separable toy set is learned exactly (train and test)', async () => {
    const rows: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 200; i++) {
      const a = (i % 20) / 20;
      const b = Math.floor(i / 20) / 10;
      rows.push([a, b]);
      y.push(a + b > 0.96 ? 1 : 0); // separable by a diagonal, no point on the line
    }
    const f = await new RandomForest({ nTrees: 30, seed: 1, threads: 0, maxFeatures: 'all' }).fit(rows, y);
    assert.equal(accuracy(f.predict(rows), y), 1);
    const probe = [
      [0.05, 0.05],
      [0.95, 0.95],
      [0.02, 0.9],
      [0.97, 0.2],
    ];
    assert.deepEqual(Array.from(f.predict(probe)), [0, 1, 0, 1]);
  });

  test('multi-class blobs (gini and entropy) with arbitrary label values', async () => {
    const rng = new Random(9);
    const centres = [
      [0, 0],
      [4, 0],
      [0, 4],
    ];
    const labels = [3, 7, 11];
    const make = (n: number) => {
      const rows: number[][] = [];
      const y: number[] = [];
      for (let i = 0; i < n; i++) {
        const k = i % 3;
        rows.push([centres[k][0] + rng.normal(), centres[k][1] + rng.normal(), rng.normal()]);
        y.push(labels[k]);
      }
      return { rows, y };
    };
    const tr = make(600);
    const te = make(900);
    for (const criterion of ['gini', 'entropy'] as const) {
      const f = await new RandomForest({ nTrees: 50, criterion, seed: 2, threads: 2 }).fit(tr.rows, tr.y);
      assert.deepEqual(f.classes, labels);
      const acc = accuracy(f.predict(te.rows), te.y);
      // Bayes accuracy here is ~0.975 (pairwise distance 4 sd); allow forest variance.
      assert.ok(acc > 0.94, `${criterion} accuracy ${acc}`);
      const p = f.predictProba(te.rows.slice(0, 5));
      for (let i = 0; i < 5; i++) assert.ok(Math.abs(p[3 * i] + p[3 * i + 1] + p[3 * i + 2] - 1) < 1e-9);
    }
  });

  test('OOB score agrees with held-out accuracy; shuffled labels give chance', async () => {
    const train = gaussians(1500, 3, 1, 11);
    const testSet = gaussians(3000, 3, 1, 12);
    const f = await new RandomForest({ nTrees: 100, oobScore: true, seed: 5, threads: 2 }).fit(train.X, train.y);
    const acc = accuracy(f.predict(testSet.X), testSet.y);
    assert.ok(f.oobScore !== null && Math.abs(f.oobScore - acc) < 0.03, `oob ${f.oobScore} vs test ${acc}`);
    const shuffled = new Random(4).shuffle(Float64Array.from(train.y));
    const g = await new RandomForest({ nTrees: 100, oobScore: true, seed: 5, threads: 2 }).fit(train.X, shuffled);
    assert.ok(Math.abs(g.oobScore! - 0.5) < 0.05, `oob on shuffled labels ${g.oobScore}`);
  });

  test("class weight 'balanced' raises minority recall", async () => {
    const rng = new Random(21);
    const rows: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const c = rng.next() < 0.1 ? 1 : 0;
      rows.push([rng.normal() + (c === 1 ? 1.2 : 0), rng.normal()]);
      y.push(c);
    }
    const recall = (f: RandomForest) => {
      const p = f.predict(rows);
      let tp = 0;
      let pos = 0;
      for (let i = 0; i < y.length; i++)
        if (y[i] === 1) {
          pos++;
          if (p[i] === 1) tp++;
        }
      return tp / pos;
    };
    const opts = { nTrees: 50, minSamplesLeaf: 20, seed: 1, threads: 2 };
    const plain = await new RandomForest(opts).fit(rows, y);
    const balanced = await new RandomForest({ ...opts, classWeight: 'balanced' }).fit(rows, y);
    assert.ok(recall(balanced) > recall(plain) + 0.2, `recall plain ${recall(plain)} balanced ${recall(balanced)}`);
  });
});

describe('random forest regression', () => {
  test('learns y = 2 sin(x0) + x1^2 (R^2 > 0.9, RMSE near the noise)', async () => {
    const rng = new Random(31);
    const make = (n: number) => {
      const data = new Float32Array(n * 3);
      const y = new Float64Array(n);
      for (let r = 0; r < n; r++) {
        const a = rng.next() * 4 - 2;
        const b = rng.next() * 4 - 2;
        data[r * 3] = a;
        data[r * 3 + 1] = b;
        data[r * 3 + 2] = rng.next();
        y[r] = 2 * Math.sin(a) + b * b + 0.1 * rng.normal();
      }
      return { X: { data, rows: n, cols: 3 }, y };
    };
    const tr = make(2000);
    const te = make(2000);
    const f = await new RandomForest({ task: 'regression', nTrees: 60, seed: 4, threads: 2, oobScore: true }).fit(tr.X, tr.y);
    const p = f.predict(te.X);
    let sse = 0;
    let sst = 0;
    const m = te.y.reduce((a, b) => a + b, 0) / te.y.length;
    for (let i = 0; i < p.length; i++) {
      sse += (p[i] - te.y[i]) ** 2;
      sst += (te.y[i] - m) ** 2;
    }
    const r2 = 1 - sse / sst;
    const rmse = Math.sqrt(sse / p.length);
    assert.ok(r2 > 0.97, `R^2 ${r2}`);
    assert.ok(rmse < 0.3, `RMSE ${rmse} (noise sd 0.1)`);
    assert.ok(f.oobScore! > 0.95, `OOB R^2 ${f.oobScore}`);
    assert.ok(f.featureImportances[2] < 0.05, `noise column importance ${f.featureImportances[2]}`);
  });
});

describe('random forest determinism and serialisation', () => {
  test('same seed gives the same forest (JSON equal) at 0, 1 and 2 threads; another seed differs', async () => {
    const { X, y } = gaussians(600, 6, 0.7, 41);
    const json = async (threads: number, seed = 7) =>
      JSON.stringify((await new RandomForest({ nTrees: 24, seed, threads, oobScore: true }).fit(X, y)).toJSON());
    const one = await json(1);
    assert.equal(await json(2), one);
    assert.equal(await json(0), one);
    assert.notEqual(await json(2, 8), one);
  });

  test('toJSON / fromJSON round trip predicts identically', async () => {
    const { X, y } = gaussians(500, 5, 1, 51);
    const f = await new RandomForest({ nTrees: 20, seed: 3, threads: 2, oobScore: true }).fit(X, y);
    const text = JSON.stringify(f);
    const g = RandomForest.fromJSON(text);
    assert.deepEqual(Array.from(g.predictProba(X)), Array.from(f.predictProba(X)));
    assert.deepEqual(Array.from(g.predict(X)), Array.from(f.predict(X)));
    assert.equal(JSON.stringify(g), text);
    assert.equal(g.oobScore, f.oobScore);
  });

  test('maxDepth and minSamplesLeaf are respected', async () => {
    const { X, y } = gaussians(800, 4, 0.5, 61);
    const f = await new RandomForest({ nTrees: 10, maxDepth: 3, minSamplesLeaf: 7, seed: 1, threads: 0 }).fit(X, y);
    for (const t of f.trees) {
      const depth = new Int32Array(t.left.length);
      for (let i = 0; i < t.left.length; i++) {
        if (t.left[i] >= 0) {
          depth[t.left[i]] = depth[i] + 1;
          depth[t.right[i]] = depth[i] + 1;
        } else assert.ok(t.nodeSamples[i] >= 7, `leaf with ${t.nodeSamples[i]} samples`);
        assert.ok(depth[i] <= 3);
      }
    }
  });
});

test('small nodes read the row-major copy of the codes: the same trees, bit for bit, as reading column-major', () => {
  // Noise labels grow deep trees, so most nodes are small enough for the row-major path.
  const { X } = gaussians(1500, 40, 0.5, 9);
  const rng = new Random(2);
  const binned = binMatrix(X);
  const { rows: n, cols: d, codes } = binned;
  const rowCodes = rowMajorCodes(binned);
  assert.equal(rowCodes[7 * d + 3], codes[3 * n + 7], 'row 7, column 3');
  const base = {
    n,
    d,
    codes,
    nBins: binned.nBins,
    yClass: null as Int32Array | null,
    yReg: null as Float64Array | null,
    weight: null as Float64Array | null,
    rows: Int32Array.from({ length: n }, (_, i) => i),
    groupOf: Int32Array.from({ length: d }, (_, f) => f % 4),
    nGroups: 4,
  };
  const params = giniTreeParams;
  const two = Int32Array.from({ length: n }, () => (rng.next() < 0.3 ? 1 : 0));
  // Each histogram path: packed two-class, two-class with fractional weights, three classes, regression.
  const cases = [
    { what: 'packed two-class', data: { ...base, yClass: two }, p: params },
    {
      what: 'weighted two-class',
      data: { ...base, yClass: two, weight: Float64Array.from({ length: n }, () => 0.5 + rng.next()) },
      p: params,
    },
    { what: 'three classes', data: { ...base, yClass: Int32Array.from({ length: n }, () => rng.int(3)) }, p: { ...params, nClasses: 3 } },
    {
      what: 'regression',
      data: { ...base, yReg: Float64Array.from({ length: n }, () => rng.normal()) },
      p: { ...params, regression: true, criterion: 'squared_error' as const },
    },
  ];
  for (const c of cases) {
    for (const seed of [1, 2]) {
      const byColumn = buildTree({ ...c.data, rowCodes: null }, c.p, seed);
      const byRow = buildTree({ ...c.data, rowCodes }, c.p, seed);
      assert.ok(byColumn.tree.feature.length > 200, `${c.what}: a deep tree (${byColumn.tree.feature.length} nodes)`);
      assert.deepEqual(byRow, byColumn, c.what);
    }
  }
});

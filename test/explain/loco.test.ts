// LOCO's pieces against direct computation: the reduced matrix is the full one without the map's columns,
// the held-out Brier score is the forest's own prediction (out of bag: only the trees a case was out of
// bag for), and a map that adds nothing has a refit-null p far from significance while the driver's is tiny.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { binMatrix, closeSharedPool, RandomForest } from '../../src/forest/index.js';
import { heldOutBrier, withoutGroup } from '../../src/explain/importance/loco.js';
import { rankFeatureMaps } from '../../src/explain/importance/index.js';
import { atLeast, atMost, testSeed } from '../helpers/margin.js';

after(() => closeSharedPool());

function toy(n: number, seed: number): { data: Float32Array; labels: Int32Array } {
  let s = seed >>> 0;
  const u = (): number => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const data = new Float32Array(n * 4);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 4; c++) data[i * 4 + c] = u();
    labels[i] = data[i * 4 + 1]! + 0.2 * (u() - 0.5) > 0.5 ? 1 : 0; // column 1 (map 0) drives the label
  }
  return { data, labels };
}

test("withoutGroup drops exactly the map's columns; heldOutBrier is the forest's prediction, out of bag when asked", async () => {
  const n = 120;
  const { data, labels } = toy(n, 7);
  const binned = binMatrix({ data, rows: n, cols: 4 });
  const groupOf = Int32Array.from([0, 0, 1, 2]);
  const red = withoutGroup(binned, groupOf, 0);
  assert.equal(red.cols, 2);
  assert.deepEqual(Array.from(red.codes.subarray(0, n)), Array.from(binned.codes.subarray(2 * n, 3 * n)));
  assert.deepEqual(Array.from(red.codes.subarray(n, 2 * n)), Array.from(binned.codes.subarray(3 * n, 4 * n)));
  assert.equal(red.edges[1], binned.edges[3]);

  const train = Int32Array.from({ length: 80 }, (_, i) => i);
  const evalRows = Int32Array.from({ length: 40 }, (_, i) => 80 + i);
  const forest = new RandomForest({ nTrees: 20, seed: 3, threads: 0 });
  await forest.fitBinned(binned, labels, { rows: train });
  const b = heldOutBrier(forest, binned, labels, { train, eval: evalRows, oob: false, forestSeed: 3 });
  const p = forest.predictProbaBinned(binned, evalRows);
  evalRows.forEach((r, i) => {
    const y = labels[r]!;
    const expected = (p[2 * i]! - (y === 0 ? 1 : 0)) ** 2 + (p[2 * i + 1]! - (y === 1 ? 1 : 0)) ** 2;
    assert.ok(Math.abs(b[i]! - expected) < 1e-12, `case ${r}: ${b[i]} vs ${expected}`);
  });

  // Out of bag: a case predicted only by the trees whose bootstrap left it out, as the forest's own OOB score.
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const oobForest = new RandomForest({ nTrees: 30, seed: 5, threads: 0, oobScore: true });
  await oobForest.fitBinned(binned, labels, { rows: all });
  const ob = heldOutBrier(oobForest, binned, labels, { train: all, eval: all, oob: true, forestSeed: 5 });
  let correct = 0;
  let counted = 0;
  for (let r = 0; r < n; r++) {
    if (Number.isNaN(ob[r]!)) continue;
    counted++;
    if (ob[r]! < 0.5) correct++; // two classes: Brier < 0.5 iff the true class has probability > 0.5
  }
  atLeast(counted, n - 2, 'loco: cases out of bag for some tree');
  assert.ok(
    Math.abs(correct / counted - oobForest.oobScore!) < 0.03,
    `OOB accuracy from heldOutBrier ${correct / counted} vs the forest's ${oobForest.oobScore}`,
  );
});

test('LOCO on a toy with one driver: the driver far above the refit null, the noise maps not significant', async () => {
  const seed = testSeed(3);
  const n = 300;
  const { data, labels } = toy(n, 11 + seed);
  const res = await rankFeatureMaps(
    { data, rows: n, cols: 4, groupOf: Int32Array.from([1, 0, 2, 3]), groupNames: ['driver', 'a', 'b', 'c'] },
    labels,
    { forest: { nTrees: 40 }, stabilityBootstraps: 0, repeats: 3, marginalNull: 0, conditionalNull: 9, seed, threads: 0 },
  );
  assert.equal(res.settings.conditionalMethod, 'loco');
  assert.equal(res.settings.conditionalNull, 9);
  const driver = res.groups[0]!.conditional!;
  assert.equal(driver.null?.permutations, 9);
  assert.ok(driver.significant);
  atMost(driver.qValue, 1e-3, 'loco toy: driver conditional q');
  // The refit null is centred near 0: forests of the same information differ by noise only.
  atMost(Math.abs(driver.null!.mean), 0.02, 'loco toy: |refit null mean|');
  for (const g of res.groups.slice(1)) assert.equal(g.conditional!.significant, false, `${g.name} conditional q ${g.conditional!.qValue}`);
});

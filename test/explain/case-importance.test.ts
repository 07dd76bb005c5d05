// caseImportance spread over the forest's workers gives exactly what the calling thread gives, the
// compiled replaced walks exactly what the TypeScript ones give, and the per-case importance finds the
// map that carries the label.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { binMatrix, closeSharedPool, forestAddon, RandomForest } from '../../src/forest/index.js';
import { Random } from '../../src/core/random.js';
import { caseImportance, caseWalk, fitConditionalSampler, mapMeans } from '../../src/explain/importance/cpi.js';
import { groupPasses } from '../../src/explain/importance/cpi-walk.js';

after(() => closeSharedPool());

/** n cases, `maps` maps of `cells` columns; the label is the sign of map 0's latent plus noise. Map 1 copies map 0 loosely. */
function toy(n: number, maps: number, cells: number, seed: number) {
  const rng = new Random(seed);
  const d = maps * cells;
  const data = new Float32Array(n * d);
  const y = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    const u0 = rng.normal();
    for (let g = 0; g < maps; g++) {
      const u = g === 0 ? u0 : g === 1 ? 0.7 * u0 + 0.7 * rng.normal() : rng.normal();
      for (let c = 0; c < cells; c++) data[r * d + g * cells + c] = u + 0.3 * rng.normal();
    }
    y[r] = u0 + 0.3 * rng.normal() > 0 ? 1 : 0;
  }
  const groupOf = Int32Array.from({ length: d }, (_, c) => Math.floor(c / cells));
  return { data, y, d, groupOf };
}

for (const { name, maps, cells, oob, conditional } of [
  { name: '6 maps, held-out rows, conditional', maps: 6, cells: 3, oob: false, conditional: true },
  { name: '6 maps, out-of-bag rows', maps: 6, cells: 3, oob: true, conditional: false },
  { name: '40 maps (two mask words), conditional', maps: 40, cells: 1, oob: false, conditional: true },
]) {
  test(`caseImportance: workers and calling thread agree bit for bit (${name})`, async () => {
    const n = 400;
    const { data, y, d, groupOf } = toy(n, maps, cells, 11 + maps);
    const binned = binMatrix({ data, rows: n, cols: d });
    const train = Int32Array.from({ length: oob ? n : 280 }, (_, i) => i);
    const evalRows = oob ? train : Int32Array.from({ length: n - 280 }, (_, i) => 280 + i);
    const means = mapMeans(data, n, d, groupOf, maps);
    const sampler = conditional ? fitConditionalSampler(data, n, d, groupOf, maps, means, train) : null;
    const options = {
      groupOf,
      nGroups: maps,
      rows: evalRows,
      oobTrainRows: oob ? train : undefined,
      metric: 'auc' as const,
      repeats: 3,
      seed: 77,
      conditional: sampler ? { sampler, data, means } : null,
    };
    const run = async (threads: number) => {
      const forest = new RandomForest({ nTrees: 30, seed: 5, threads });
      await forest.fitBinned(binned, y, { rows: train });
      const progress: number[] = [];
      const r = await caseImportance(forest, binned, y, { ...options, onProgress: (done) => progress.push(done) });
      return { r, progress, forest };
    };
    const serial = await run(0);
    const pooled = await run(2);
    assert.deepEqual(pooled.r, serial.r);
    assert.ok(forestAddon() !== null, 'the forest addon is built (scripts/setup.sh)');
    const { walk } = caseWalk(serial.forest, binned, y, options);
    const all = Array.from({ length: maps }, (_, g) => g);
    assert.deepEqual(groupPasses(walk, all, true), groupPasses(walk, all, false), 'compiled and TypeScript walks');
    assert.equal(pooled.progress.at(-1), maps);
    assert.deepEqual(
      serial.progress,
      Array.from({ length: maps }, (_, g) => g + 1),
    );

    // The label map is the one the forest relies on: its mean marginal importance is far above every
    // noise map's (maps 2.. are independent of the label).
    const m = evalRows.length;
    const meanOf = (a: Float64Array, g: number) => {
      let s = 0;
      let c = 0;
      for (let i = 0; i < m; i++)
        if (serial.r.valid[i]) {
          s += a[g * m + i];
          c++;
        }
      return s / c;
    };
    const label = meanOf(serial.r.marginal, 0);
    let noise = -Infinity;
    for (let g = 2; g < maps; g++) noise = Math.max(noise, meanOf(serial.r.marginal, g));
    assert.ok(label > 0.05 && label > 5 * Math.max(noise, 0.002), `map 0 ${label}, noise maps at most ${noise}`);
    assert.ok(
      serial.r.marginalDrops.subarray(0, 3).every((x) => x > 0.05),
      'replacing map 0 lowers the AUC',
    );
  });
}

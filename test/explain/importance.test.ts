// Map importance on synthetic latent maps with a known answer, and calibration under the null.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { closeSharedPool, Rng } from '../../src/forest/index.js';
import { ksUniform, rankFeatureMaps, type FeatureMatrix } from '../../src/explain/importance/index.js';

after(() => closeSharedPool());

/**
 * The latent-map situation: `maps` maps of `cells` correlated columns each (a map's cells share a latent
 * value u_m plus noise). The label depends only on the maps in `signal` (none = labels independent of X).
 */
function latentMaps(n: number, maps: number, cells: number, signal: number[], seed: number): { features: FeatureMatrix; labels: Int32Array } {
  const rng = new Rng(seed);
  const d = maps * cells;
  const data = new Float32Array(n * d);
  const labels = new Int32Array(n);
  const groupOf = Int32Array.from({ length: d }, (_, c) => Math.floor(c / cells));
  for (let r = 0; r < n; r++) {
    let z = 0;
    for (let m = 0; m < maps; m++) {
      const u = rng.normal();
      if (signal.includes(m)) z += u;
      for (let c = 0; c < cells; c++) data[r * d + m * cells + c] = u + 0.5 * rng.normal();
    }
    labels[r] = signal.length === 0 ? (rng.next() < 0.5 ? 1 : 0) : z + 0.5 * rng.normal() > 0 ? 1 : 0;
  }
  const groupNames = Array.from({ length: maps }, (_, m) => `map${m}`);
  return { features: { data, rows: n, cols: d, groupOf, groupNames }, labels };
}

describe('rankFeatureMaps', () => {
  test('only maps 2 and 5 carry the label: exactly those are significant at FDR 5%, ranked top, stable', async () => {
    const { features, labels } = latentMaps(400, 8, 4, [2, 5], 1);
    const stages = new Set<string>();
    const res = await rankFeatureMaps(features, labels, {
      forest: { nTrees: 50 },
      nullPermutations: 99,
      stabilityBootstraps: 10,
      repeats: 5,
      seed: 1,
      threads: 2,
      onProgress: (p) => stages.add(p.stage),
    });
    const significant = res.groups.filter((g) => g.pimp!.significant).map((g) => g.index);
    assert.deepEqual(significant, [2, 5]);
    assert.deepEqual([...res.ranking.slice(0, 2)].sort(), [2, 5]);
    assert.equal(res.metric, 'auc');
    assert.equal(res.nTrain + res.nEval, 400);
    assert.ok(res.baselineScore > 0.8, `held-out AUC ${res.baselineScore}`);
    for (const g of res.groups) {
      const isSignal = g.index === 2 || g.index === 5;
      if (isSignal) {
        assert.ok(g.importance.ciLow > 0.02, `${g.name} importance ${JSON.stringify(g.importance)}`);
        assert.ok(g.pimp!.pValue <= 0.01 + 1e-12, `${g.name} p ${g.pimp!.pValue}`);
        assert.ok(g.stability!.topK === 1, `${g.name} top-3 fraction ${g.stability!.topK}`);
        assert.ok(Math.abs(g.univariateAuc - 0.5) > 0.15, `${g.name} univariate AUC ${g.univariateAuc}`);
      } else {
        assert.ok(g.importance.mean < 0.02, `${g.name} importance ${g.importance.mean}`);
        assert.ok(g.stability!.top1 === 0);
        assert.ok(Math.abs(g.univariateAuc - 0.5) < 0.1, `${g.name} univariate AUC ${g.univariateAuc}`);
      }
      assert.ok(g.importance.ciLow <= g.importance.mean && g.importance.mean <= g.importance.ciHigh);
      assert.equal(g.importance.repeats.length, 5);
    }
    assert.equal(res.groups[2].stability!.top1 + res.groups[5].stability!.top1, 1);
    for (const s of ['bin', 'fit', 'permutation', 'null', 'stability', 'univariate']) assert.ok(stages.has(s), `no progress for ${s}`);
    // The result is plain JSON (rank.json).
    assert.deepEqual(JSON.parse(JSON.stringify(res)).ranking, res.ranking);
  });

  test('OOB evaluation finds the same maps', async () => {
    const { features, labels } = latentMaps(300, 6, 3, [1, 4], 2);
    const res = await rankFeatureMaps(features, labels, { evaluation: 'oob', forest: { nTrees: 40 }, nullPermutations: 0, stabilityBootstraps: 0, repeats: 3, seed: 2, threads: 2 });
    assert.equal(res.nEval, 300);
    assert.deepEqual([...res.ranking.slice(0, 2)].sort(), [1, 4]);
    assert.equal(res.groups[0].pimp, null);
    assert.equal(res.groups[0].stability, null);
  });

  test('labels independent of the maps: p-values ~ uniform (KS) and the false-discovery fraction stays <= FDR', async (t) => {
    const runs = 40;
    const fdr = 0.05;
    const pooled: number[] = [];
    let runsWithDiscovery = 0;
    for (let run = 0; run < runs; run++) {
      const { features, labels } = latentMaps(160, 8, 2, [], 100 + run);
      const res = await rankFeatureMaps(features, labels, {
        forest: { nTrees: 25 },
        nullPermutations: 99,
        stabilityBootstraps: 0,
        repeats: 1,
        fdr,
        seed: run,
        threads: 2,
      });
      for (const g of res.groups) pooled.push(g.pimp!.pValue);
      // Every discovery is false here, so the false-discovery proportion is 1 when anything is found.
      if (res.groups.some((g) => g.pimp!.significant)) runsWithDiscovery++;
    }
    const ks = ksUniform(pooled);
    t.diagnostic(`KS D=${ks.d.toFixed(4)} p=${ks.p.toFixed(3)}; runs with a (false) discovery: ${runsWithDiscovery}/${runs}`);
    assert.ok(ks.p > 0.01, `KS D=${ks.d} p=${ks.p} on ${pooled.length} null p-values`);
    // E[FDP] <= fdr under BH; allow two binomial standard errors of sampling noise over `runs` runs.
    const fdp = runsWithDiscovery / runs;
    assert.ok(fdp <= fdr + 2 * Math.sqrt((fdr * (1 - fdr)) / runs), `false-discovery fraction ${fdp} over ${runs} runs`);
  });
});

// Map importance on synthetic latent maps with a known answer, and calibration under the null.
// Every forest runs in the calling thread (threads: 0) so the file stays light on a shared machine.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { closeSharedPool } from '../../src/forest/index.js';
import { Random } from '../../src/core/random.js';
import { caseTest, ksUniform, rankFeatureMaps, type FeatureMatrix, type RankResult } from '../../src/explain/importance/index.js';
import { labelPermuter } from '../../src/explain/importance/marginal-null.js';
import { atLeast, atMost, testSeed } from '../helpers/margin.js';

after(() => closeSharedPool());

type Synthetic = { features: FeatureMatrix; labels: Int32Array };

/**
 * `maps` maps of `cells` columns: for each case, `row(r)` gives each map's latent value u_m (drawn in map
 * order) and then the label; every cell is u_m plus `cellNoise` N(0, 1).
 */
function mapMatrix(
  n: number,
  maps: number,
  cells: number,
  cellNoise: number,
  rng: Random,
  row: (r: number) => { u: (m: number) => number; label: () => number },
): Synthetic {
  const d = maps * cells;
  const data = new Float32Array(n * d);
  const labels = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const { u, label } = row(r);
    for (let m = 0; m < maps; m++) {
      const v = u(m);
      for (let c = 0; c < cells; c++) data[r * d + m * cells + c] = v + cellNoise * rng.normal();
    }
    labels[r] = label();
  }
  const groupOf = Int32Array.from({ length: d }, (_, c) => Math.floor(c / cells));
  return { features: { data, rows: n, cols: d, groupOf, groupNames: Array.from({ length: maps }, (_, m) => `map${m}`) }, labels };
}

/**
 * The latent-map situation: `maps` maps of `cells` correlated columns each (a map's cells share a latent
 * value u_m plus noise). The label depends only on the maps in `signal` (none = labels independent of X).
 */
function latentMaps(n: number, maps: number, cells: number, signal: number[], seed: number): Synthetic {
  const rng = new Random(seed);
  return mapMatrix(n, maps, cells, 0.5, rng, () => {
    let z = 0;
    return {
      u: (m) => {
        const u = rng.normal();
        if (signal.includes(m)) z += u;
        return u;
      },
      label: () => (signal.length === 0 ? (rng.next() < 0.5 ? 1 : 0) : z + 0.5 * rng.normal() > 0 ? 1 : 0),
    };
  });
}

/**
 * A noisy copy: the label is 1[a > 0] for map A's latent a; map B's latent is a + `noise` * N(0, 1); the
 * other maps are independent noise. Cells carry 0.1 N(0, 1) each.
 */
function noisyCopy(n: number, maps: number, a: number, b: number, noise: number, seed: number): Synthetic {
  const rng = new Random(seed);
  return mapMatrix(n, maps, 2, 0.1, rng, () => {
    const ua = rng.normal();
    const ub = ua + noise * rng.normal();
    return { u: (m) => (m === a ? ua : m === b ? ub : rng.normal()), label: () => (ua > 0 ? 1 : 0) };
  });
}

/** Perfectly separable: each map in `signal` puts the classes at +-(1 + 0.5|N|) (a gap of 2); the others are noise. */
function separable(n: number, maps: number, signal: number[], seed: number): Synthetic {
  const rng = new Random(seed);
  return mapMatrix(n, maps, 2, 0.2, rng, (r) => {
    const y = r % 2;
    return { u: (m) => (signal.includes(m) ? (y ? 1 : -1) * (1 + 0.5 * Math.abs(rng.normal())) : rng.normal()), label: () => y };
  });
}

/**
 * One subject of 160 slices whose 4 maps encode only the slice position (cosines of rising frequency),
 * labelled by a run of 40 slices starting at 80 + 10 s (a tumour).
 */
function positionStack(seed: number, s: number): Synthetic & { n: number; slice: Int32Array } {
  const n = 160;
  const slice = Int32Array.from({ length: n }, (_, i) => i);
  const { features } = mapMatrix(n, 4, 2, 0.05, new Random(seed), (r) => ({
    u: (m) => Math.cos(((m + 1) * Math.PI * r) / n),
    label: () => 0,
  }));
  const start = 20 + 10 * s;
  return { n, slice, features, labels: Int32Array.from(slice, (i) => (i >= start + 60 && i < start + 100 ? 1 : 0)) };
}

/** What must hold in every result: the star needs q <= fdr AND an interval above zero; intervals contain the mean. */
function checkVerdicts(res: RankResult): void {
  for (const g of res.groups) {
    for (const t of [g.marginal, g.conditional]) {
      if (t === null) continue;
      assert.ok(t.ciLow <= t.mean && t.mean <= t.ciHigh, `${g.name}: interval ${JSON.stringify(t)}`);
      if (t.ciLow <= 0 || t.qValue > res.settings.fdr) assert.equal(t.significant, false, `${g.name}: starred with ${JSON.stringify(t)}`);
      assert.ok(t.pValue >= 0 && t.pValue <= 1 && t.qValue >= t.pValue - 1e-15);
      assert.equal(t.nCases, res.nEval);
    }
  }
  assert.deepEqual(
    [...res.ranking].sort((a, b) => a - b),
    res.groups.map((g) => g.index),
  );
  res.ranking.forEach((g, i) => assert.equal(res.groups[g].rank, i + 1));
}

const starred = (res: RankResult, which: 'marginal' | 'conditional'): number[] =>
  res.groups.filter((g) => g[which]?.significant).map((g) => g.index);

describe('rankFeatureMaps', () => {
  // The exact-set tests use FDR 0.1%: at 5%, Benjamini–Hochberg allows (and over many seeds produces) an
  // occasional false discovery among six noise maps, while the signal maps here reach q ~ 1e-20.
  test('only maps 2 and 5 carry the label: exactly those are significant (marginal and conditional), ranked top, stable', async () => {
    const seed = testSeed(1);
    const { features, labels } = latentMaps(400, 8, 4, [2, 5], seed);
    const stages = new Set<string>();
    const res = await rankFeatureMaps(features, labels, {
      forest: { nTrees: 50 },
      stabilityBootstraps: 10,
      repeats: 5,
      fdr: 0.001,
      seed,
      threads: 0,
      onProgress: (p) => stages.add(p.stage),
    });
    checkVerdicts(res);
    assert.deepEqual(starred(res, 'marginal'), [2, 5]);
    assert.deepEqual(starred(res, 'conditional'), [2, 5]);
    assert.deepEqual([...res.ranking.slice(0, 2)].sort(), [2, 5]);
    assert.equal(res.version, 2);
    assert.equal(res.evaluation, 'cv');
    assert.equal(res.nFits, 5);
    assert.equal(res.nEval, 400, 'every case is evaluated once by cross-validation');
    assert.deepEqual(
      res.nEvalPerClass.reduce((a, b) => a + b, 0),
      400,
    );
    assert.equal(res.metric, 'auc');
    atLeast(res.baselineScore, 0.8, 'importance toy: CV AUC');
    assert.equal(res.groups[0].pimp, null, 'PIMP is opt-in');
    assert.deepEqual(res.warnings, []);
    for (const g of res.groups) {
      const isSignal = g.index === 2 || g.index === 5;
      if (isSignal) {
        atMost(g.marginal.qValue, 0.001, `importance toy: ${g.name} marginal q`);
        atLeast(g.marginal.ciLow, 0.05, `importance toy: ${g.name} marginal interval low end`);
        atLeast(g.conditional!.ciLow, 0.05, `importance toy: ${g.name} conditional interval low end`);
        atLeast(g.metricDrop.mean, 0.05, `importance toy: ${g.name} AUC drop`);
        assert.equal(g.stability!.topK, 1, `${g.name} top-3 fraction ${g.stability!.topK}`);
        atLeast(Math.abs(g.univariateAuc - 0.5), 0.15, `importance toy: ${g.name} |univariate AUC - 0.5|`);
        assert.equal(g.direction, 'higher in positive class');
      } else {
        atMost(g.marginal.mean, 0.02, `importance toy: ${g.name} marginal mean`);
        assert.equal(g.stability!.top1, 0);
        atMost(Math.abs(g.univariateAuc - 0.5), 0.1, `importance toy: ${g.name} |univariate AUC - 0.5|`);
      }
      assert.equal(g.metricDrop.values.length, 5 * 5, 'one AUC drop per (fold, draw)');
    }
    assert.equal(res.groups[2].stability!.top1 + res.groups[5].stability!.top1, 1);
    for (const s of ['bin', 'fit', 'permutation', 'stability', 'univariate']) assert.ok(stages.has(s), `no progress for ${s}`);
    // The result is plain JSON (rank.json).
    assert.deepEqual(JSON.parse(JSON.stringify(res)).ranking, res.ranking);
  });

  test('a smallest class under 50 evaluated cases switches to exact p-values: ranks among enough null draws for BH, and the planted map is starred', async () => {
    const seed = testSeed(9);
    const { features, labels } = latentMaps(60, 4, 4, [1], seed);
    const opts = { forest: { nTrees: 20 }, stabilityBootstraps: 0, seed, threads: 0 };
    const res = await rankFeatureMaps(features, labels, opts);
    assert.ok(Math.min(...res.nEvalPerClass) >= 10 && Math.min(...res.nEvalPerClass) < 50, JSON.stringify(res.nEvalPerClass));
    assert.equal(res.settings.exactNull, true);
    // BH for one of 4 maps at 0.05 needs p <= 0.0125; 2 x 4 / 0.05 = 160 rounds up to 200 draws.
    assert.equal(res.settings.marginalNull, 199);
    // LOCO's null: 50 label permutations, their 4 maps' means pooled into 200 draws.
    assert.equal(res.settings.conditionalNullKind, 'label permutations');
    assert.equal(res.settings.conditionalNull, 50);
    for (const g of res.groups) assert.equal(g.conditional!.null!.permutations, 200);
    for (const g of res.groups)
      for (const t of [g.marginal, g.conditional!]) assert.equal(t.pValue, (t.null!.exceedances + 1) / (t.null!.permutations + 1), g.name);
    assert.ok(res.groups[1].marginal.significant && res.groups[1].conditional!.significant, 'the planted map is starred on both tests');
    assert.equal(res.groups[1].marginal.null!.exceedances, 0, 'no shuffle reaches the planted map');
    for (const g of [0, 2, 3])
      assert.ok(!res.groups[g].marginal.significant && !res.groups[g].conditional!.significant, `map${g} not starred`);
    assert.ok(
      res.warnings.some((w) =>
        /^the smallest class has \d+ evaluated cases \(under 50\): the intervals are rough, and the p-values are rank p-values/.test(w),
      ),
      res.warnings.join('; '),
    );

    // Explicitly off: the t approximation and the old warning; explicitly too few draws: a warning that no map can be starred.
    const tApprox = await rankFeatureMaps(features, labels, { ...opts, exactNull: false, conditional: false });
    assert.equal(tApprox.settings.exactNull, false);
    assert.equal(tApprox.settings.marginalNull, 19);
    assert.ok(
      tApprox.warnings.some((w) => /at this size the verdicts were measured to be liberal/.test(w)),
      tApprox.warnings.join('; '),
    );
    const few = await rankFeatureMaps(features, labels, { ...opts, exactNull: true, marginalNull: 19, conditional: false });
    assert.equal(few.groups[1].marginal.pValue, 0.05);
    assert.ok(!few.groups.some((g) => g.marginal.significant));
    assert.ok(
      few.warnings.some((w) =>
        /with 19 marginal null draws the smallest p-value is 0\.050.*no map can be starred marginally; use at least 80 draws/.test(w),
      ),
      few.warnings.join('; '),
    );
  });

  test('holdout (explicit test rows) and OOB evaluation find the same maps with the same per-case statistic', async () => {
    const seed = testSeed(2);
    const { features, labels } = latentMaps(300, 6, 3, [1, 4], seed);
    const testRows = Array.from({ length: 300 }, (_, i) => i).filter((i) => i % 3 === 0);
    const hold = await rankFeatureMaps(features, labels, {
      testRows,
      forest: { nTrees: 40 },
      stabilityBootstraps: 0,
      repeats: 3,
      fdr: 0.001,
      // Under 50 cases a class: 'auto' would use exact p-values (199 draws), tested above; here the t approximation.
      exactNull: false,
      seed,
      threads: 0,
    });
    checkVerdicts(hold);
    assert.equal(hold.evaluation, 'holdout');
    assert.equal(hold.nEval, 100);
    assert.equal(hold.nTrain, 200);
    assert.deepEqual([...hold.ranking.slice(0, 2)].sort(), [1, 4]);
    assert.deepEqual(starred(hold, 'marginal'), [1, 4]);
    const oob = await rankFeatureMaps(features, labels, {
      evaluation: 'oob',
      forest: { nTrees: 40 },
      stabilityBootstraps: 0,
      repeats: 3,
      fdr: 0.001,
      exactNull: false,
      seed,
      threads: 0,
    });
    checkVerdicts(oob);
    assert.equal(oob.nEval, 300, 'with 40 trees every case is out of bag for some tree');
    assert.deepEqual([...oob.ranking.slice(0, 2)].sort(), [1, 4]);
    assert.deepEqual(starred(oob, 'marginal'), [1, 4]);
    assert.equal(oob.groups[0].stability, null);
    await assert.rejects(rankFeatureMaps(features, labels, { testRows, evaluation: 'cv' }), /testRows need evaluation 'holdout'/);
  });

  test('noisy copy: map B = map A + noise, only A drives the label — marginal flags both, conditional only A', async (t) => {
    const seeds = [0, 1, 2, 3, 4].map((s) => testSeed(10 + s));
    for (const seed of seeds) {
      const { features, labels } = noisyCopy(400, 6, 1, 4, 0.3, seed);
      const res = await rankFeatureMaps(features, labels, { forest: { nTrees: 50 }, stabilityBootstraps: 0, repeats: 5, seed, threads: 0 });
      checkVerdicts(res);
      const A = res.groups[1];
      const B = res.groups[4];
      t.diagnostic(
        `seed ${seed}: A marginal ${A.marginal.mean.toFixed(3)} [${A.marginal.ciLow.toFixed(3)}], conditional ${A.conditional!.mean.toFixed(3)} [${A.conditional!.ciLow.toFixed(3)}] q ${A.conditional!.qValue.toExponential(1)}; ` +
          `B marginal ${B.marginal.mean.toFixed(3)} [${B.marginal.ciLow.toFixed(3)}], conditional ${B.conditional!.mean.toFixed(4)} q ${B.conditional!.qValue.toFixed(3)}`,
      );
      assert.ok(A.marginal.significant && B.marginal.significant, 'the forest relies on both the map and its copy');
      atMost(A.marginal.qValue, 0.05, 'noisy copy: A marginal q');
      atMost(B.marginal.qValue, 0.05, 'noisy copy: B marginal q');
      atLeast(B.marginal.ciLow, 0, 'noisy copy: B marginal interval low end');
      assert.equal(B.marginal.null?.permutations, 19, 'the marginal verdict is judged against its label-shuffle null by default');
      assert.ok(!res.warnings.some((w) => /not calibrated/.test(w)), `no calibration warning with the null on: ${res.warnings.join('; ')}`);
      assert.ok(A.conditional!.significant, 'A carries label information beyond its copy');
      atMost(A.conditional!.qValue, 0.05, 'noisy copy: A conditional q');
      atLeast(A.conditional!.ciLow, 0, 'noisy copy: A conditional interval low end');
      assert.equal(B.conditional!.significant, false, 'the copy adds nothing beyond A');
      atLeast(B.conditional!.qValue, 0.05, 'noisy copy: B conditional q (must exceed the FDR level)');
      assert.deepEqual(res.ranking.slice(0, 2), [1, 4]);
    }
  });

  test('saturation: three maps each separate the classes perfectly — AUC is 1, the ranking follows the Brier score, with a warning', async (t) => {
    const seed = testSeed(51);
    const signal = [2, 3, 5];
    const { features, labels } = separable(200, 6, signal, seed);
    // Cross-validated, not one hold-out split: the marginal verdict's label-shuffle null of a mean over 50
    // held-out cases is wide (sd ~0.028), and the third separating map (mean 0.04) then missed it on one seed.
    const res = await rankFeatureMaps(features, labels, { forest: { nTrees: 50 }, stabilityBootstraps: 0, repeats: 5, seed, threads: 0 });
    checkVerdicts(res);
    assert.equal(res.baselineScore, 1, 'held-out AUC is saturated in every fold');
    assert.ok(
      res.warnings.some((w) => /saturated/.test(w) && /Brier/.test(w)),
      `warnings: ${res.warnings.join(' | ')}`,
    );
    assert.deepEqual([...res.ranking.slice(0, 3)].sort(), signal, `ranking ${res.ranking}`);
    const noise = res.groups.filter((g) => !signal.includes(g.index));
    const maxNoise = Math.max(...noise.map((g) => g.marginal.mean));
    for (const k of signal) {
      atLeast(res.groups[k].marginal.ciLow - maxNoise, 0.01, `saturation: map ${k} interval low end above every noise map's mean`);
      assert.ok(res.groups[k].marginal.significant);
    }
    // What the AUC drop saw: nothing for the noise maps (exactly 0), and mostly nothing for the redundant informative maps.
    for (const g of noise) assert.equal(g.metricDrop.mean, 0, `${g.name} AUC drop ${g.metricDrop.mean}`);
    t.diagnostic(
      `AUC drops: ${res.groups.map((g) => g.metricDrop.mean.toFixed(3)).join(' ')}; Brier: ${res.groups.map((g) => g.marginal.mean.toFixed(4)).join(' ')}`,
    );
  });

  test('labels independent of the maps: few maps flagged (<= FDR), p-values roughly uniform', async (t) => {
    const runs = 40;
    const fdr = 0.05;
    for (const evaluation of ['holdout', 'cv'] as const) {
      const pooled: number[] = [];
      const flagged = { marginal: 0, conditional: 0 };
      let tests = 0;
      for (let run = 0; run < runs; run++) {
        const seed = testSeed(100 + run);
        const { features, labels } = latentMaps(evaluation === 'holdout' ? 320 : 160, 8, 2, [], seed);
        const res = await rankFeatureMaps(features, labels, {
          evaluation,
          forest: { nTrees: 25 },
          stabilityBootstraps: 0,
          repeats: 5,
          fdr,
          // The t approximation's calibration ('auto' would switch to exact p-values at this size: hundreds of draws per run).
          exactNull: false,
          seed,
          threads: 0,
        });
        checkVerdicts(res);
        for (const g of res.groups) {
          pooled.push(g.marginal.pValue, g.conditional!.pValue);
          if (g.marginal.significant) flagged.marginal++;
          if (g.conditional!.significant) flagged.conditional++;
          tests++;
        }
      }
      const ks = ksUniform(pooled);
      const small = pooled.filter((p) => p <= 0.05).length / pooled.length;
      t.diagnostic(
        `${evaluation}: KS D=${ks.d.toFixed(4)} p=${ks.p.toFixed(3)}; P(p <= 0.05) = ${small.toFixed(3)}; maps flagged: marginal ${flagged.marginal}/${tests}, conditional ${flagged.conditional}/${tests}`,
      );
      // Every flagged map is a false discovery here; the fraction of maps flagged must stay well inside the FDR level.
      atMost(flagged.marginal / tests, fdr / 2, `null (${evaluation}): fraction of maps flagged, marginal`);
      atMost(flagged.conditional / tests, fdr / 2, `null (${evaluation}): fraction of maps flagged, conditional`);
      if (evaluation === 'holdout') {
        // One forest, held-out cases: the per-case t-test is close to exact.
        atLeast(ks.p, 0.01, 'null (holdout): KS p of pooled p-values against uniform');
      } else {
        // Cross-validation shares training cases between folds, which correlates the per-case statistics of
        // different folds: p-values come out somewhat small (measured: P(p <= 0.05) about 0.07-0.09).
        atMost(small, 0.12, 'null (cv): fraction of p-values <= 0.05');
        atMost(ks.d, 0.12, 'null (cv): KS distance of pooled p-values from uniform');
      }
    }
  });

  test('correlated maps, shuffled labels: the t-test flags maps, the label-shuffle null does not', async (t) => {
    // Six maps that are one latent z plus a little noise, labels independent of everything (74% positive,
    // as PneumoniaMNIST): replacing one map puts cases where no real case lies, and the forest predicts
    // worse there even though it learned noise — the bias bench calibration found on real latents.
    const seeds = [0, 1, 2].map((s) => testSeed(300 + s));
    let flaggedT = 0;
    let runsWithFlags = 0;
    let maps = 0;
    for (const seed of seeds) {
      const rng = new Random(seed);
      const { features, labels } = mapMatrix(3000, 6, 2, 0.05, rng, () => {
        const z = rng.normal();
        return { u: () => z, label: () => (rng.next() < 0.74 ? 1 : 0) };
      });
      const opts = { forest: { nTrees: 30 }, stabilityBootstraps: 0, repeats: 3, conditional: false, seed, threads: 0 };
      const plain = await rankFeatureMaps(features, labels, { ...opts, marginalNull: 0 });
      const withNull = await rankFeatureMaps(features, labels, opts);
      checkVerdicts(withNull);
      flaggedT += starred(plain, 'marginal').length;
      if (starred(withNull, 'marginal').length > 0) runsWithFlags++;
      maps += features.groupNames.length;
      t.diagnostic(
        `seed ${seed}: t-test t ${plain.groups.map((g) => g.marginal.t.toFixed(1)).join(' ')}; null p ${withNull.groups.map((g) => g.marginal.pValue.toFixed(3)).join(' ')}`,
      );
    }
    // Measured over 10 seed offsets: the t-test flagged 17-18 of 18 maps (t 2.0-8.5). With the null, BH keeps
    // the chance of any flag in a run near 5% (1 of 28 runs at n = 2000); the maps are copies, so a run that
    // flags tends to flag several at once — hence runs, not maps, are counted.
    atLeast(flaggedT / maps, 0.5, 'correlated null: fraction of maps the plain t-test flags (the bias this setup must show)');
    atMost(runsWithFlags, 1, 'correlated null: runs with any map flagged, label-shuffle null');
  });

  test("label-shuffle null with groups: labels permuted across subjects, or shifted along each subject's slices", async (t) => {
    // The permuter: one label per group -> group labels permuted; labels varying in groups with a known order -> rotations.
    const y = Int32Array.from([0, 0, 1, 1, 1, 0, 0, 0]);
    const perGroup = labelPermuter(Int32Array.from([0, 0, 1, 1, 1, 0, 0, 0]), ['a', 'a', 'b', 'b', 'b', 'c', 'c', 'c'], undefined);
    assert.equal(perGroup.kind, 'groups');
    const rng = new Random(1);
    const out = new Int32Array(8);
    for (let k = 0; k < 20; k++) {
      perGroup.permute(rng, out);
      assert.ok(
        out[0] === out[1] && out[2] === out[3] && out[3] === out[4] && out[5] === out[6] && out[6] === out[7],
        `groups keep one label: ${out}`,
      );
    }
    const shifts = labelPermuter(y, Array(8).fill('s'), [7, 6, 5, 4, 3, 2, 1, 0]);
    assert.equal(shifts.kind, 'within-group shifts');
    for (let k = 0; k < 20; k++) {
      shifts.permute(rng, out);
      // In slice order (reversed rows) the labels are a rotation of 0 0 0 1 1 1 0 0: one run of three 1s.
      const inOrder = [...out].reverse();
      const runs = inOrder.filter((v, i) => v === 1 && inOrder[(i + 7) % 8] === 0).length;
      assert.equal(runs, 1, `one run of 1s after a rotation: ${inOrder}`);
      assert.equal(
        inOrder.reduce((a, b) => a + b, 0),
        3,
      );
    }
    assert.equal(labelPermuter(y, Array(8).fill('s'), undefined).kind, 'cases');
    assert.equal(labelPermuter(y, undefined, undefined).kind, 'cases');

    // One subject, 160 slices, maps that encode only the slice position, and a label that is a contiguous
    // run of slices (a tumour). Whether the maps know the label beyond the position cannot be told from one
    // stack: against shifts of the run along the stack the maps look ordinary (a run at one place can be a
    // little easier to cut out than at another, so small p-values are possible, not tiny ones), while a
    // case shuffle, which breaks the run, makes every map look decisive.
    let minShift = 1;
    let minShuffle = 1;
    for (const s of [0, 1, 2]) {
      const seed = testSeed(400 + s);
      const { n, slice, features, labels } = positionStack(seed, s);
      const groups = Array(n).fill('subject');
      const opts = {
        forest: { nTrees: 30 },
        stabilityBootstraps: 0,
        repeats: 3,
        conditional: false,
        caseGroups: groups,
        // The comparison of nulls is made under the t approximation, where a case shuffle's liberality shows as tiny p-values.
        exactNull: false,
        seed,
        threads: 0,
      };
      const shifted = await rankFeatureMaps(features, labels, { ...opts, caseOrder: slice });
      const shuffled = await rankFeatureMaps(features, labels, opts);
      assert.equal(shifted.settings.marginalNullPermutation, 'within-group shifts');
      assert.equal(shuffled.settings.marginalNullPermutation, 'cases');
      assert.ok(
        shuffled.warnings.some((w) => /somewhat liberal/.test(w)),
        shuffled.warnings.join('; '),
      );
      assert.ok(!shifted.warnings.some((w) => /somewhat liberal/.test(w)));
      minShift = Math.min(minShift, ...shifted.groups.map((g) => g.marginal.pValue));
      minShuffle = Math.min(minShuffle, ...shuffled.groups.map((g) => g.marginal.pValue));
      t.diagnostic(
        `seed ${seed}: shift null p ${shifted.groups.map((g) => g.marginal.pValue.toFixed(3)).join(' ')}; case shuffle p ${shuffled.groups.map((g) => g.marginal.pValue.toExponential(1)).join(' ')}`,
      );
    }
    // Measured (3 runs): smallest p 0.010 against shifts, 3e-12 against a case shuffle.
    atLeast(minShift, 1e-3, 'group null: smallest marginal p against shifts along the stack');
    atMost(minShuffle, 1e-6, 'group null: smallest marginal p against a case shuffle (the liberal null this replaces)');
  });

  test('conditional verdict with one subject whose label runs along its slices: LOCO against label shifts, not refit noise', async (t) => {
    // The stack of the test above: maps encode only the slice position, the label is a run of slices. With
    // the subject on both sides of every fold a forest recognises a slice's neighbours, so leaving a map out
    // costs something whether or not the map knows the label beyond position; refit noise does not contain
    // that, rotations of the run along the stack do.
    let starredShift = 0;
    let starredRefit = 0;
    let minShift = 1;
    let minRefit = 1;
    for (const s of [0, 1, 2]) {
      const seed = testSeed(410 + s);
      const { n, slice, features, labels } = positionStack(seed, s);
      const opts = {
        forest: { nTrees: 30 },
        stabilityBootstraps: 0,
        repeats: 2,
        marginalNull: 5,
        conditionalNull: 9,
        // The t approximation: at 9 refits an exact p-value could not fall below 0.1.
        exactNull: false,
        caseGroups: Array(n).fill('subject'),
        seed,
        threads: 0,
      };
      const shifted = await rankFeatureMaps(features, labels, { ...opts, caseOrder: slice });
      const refit = await rankFeatureMaps(features, labels, opts);
      assert.equal(shifted.settings.conditionalNullKind, 'within-group shifts');
      assert.equal(refit.settings.conditionalNullKind, 'refits');
      starredShift += starred(shifted, 'conditional').length;
      starredRefit += starred(refit, 'conditional').length;
      minShift = Math.min(minShift, ...shifted.groups.map((g) => g.conditional!.pValue));
      minRefit = Math.min(minRefit, ...refit.groups.map((g) => g.conditional!.pValue));
      if (starred(refit, 'conditional').length)
        assert.ok(
          refit.warnings.some((w) => /conditional stars are liberal/.test(w)),
          refit.warnings.join('; '),
        );
      assert.ok(!shifted.warnings.some((w) => /conditional stars are liberal/.test(w)));
      t.diagnostic(
        `seed ${seed}: conditional p against shifts ${shifted.groups.map((g) => g.conditional!.pValue.toFixed(3)).join(' ')}; against refits ${refit.groups.map((g) => g.conditional!.pValue.toExponential(1)).join(' ')}`,
      );
    }
    t.diagnostic(
      `conditional stars: shifts ${starredShift}, refits ${starredRefit} of 12; smallest p ${minShift.toExponential(1)} against shifts, ${minRefit.toExponential(1)} against refits`,
    );
    // As for the marginal test: a run at one place can be easier to cut out with one map than at another
    // (a map's zero crossing on the run's edge), so small p-values against shifts are possible, not tiny ones.
    // Measured over 6 seed offsets (3 runs each): smallest p 1.2e-3 to 0.25 against shifts, 9.7e-10 to 7.7e-8 against refits.
    atLeast(minShift, 2e-4, 'group null: smallest conditional p against shifts along the stack');
    atMost(minRefit, 1e-5, 'group null: smallest conditional p against refit noise (the liberal null it replaces here)');
  });

  test('a map whose interval reaches zero or below is never significant, even when its q-value passes', async () => {
    // A generous FDR (0.5) and a wide interval (99.9%) make q <= fdr with ciLow <= 0 common among weak maps.
    // Map 3 drives the label; maps 5-7 weakly (weight 0.3 each), so their tests sit near the threshold.
    const seed = testSeed(7);
    const rng = new Random(seed);
    const w = [0, 0, 0, 1, 0, 0.3, 0.3, 0.3];
    const n = 240;
    const data = new Float32Array(n * 16);
    const labels = new Int32Array(n);
    for (let r = 0; r < n; r++) {
      let z = 0;
      for (let m = 0; m < 8; m++) {
        const u = rng.normal();
        z += w[m] * u;
        for (let c = 0; c < 2; c++) data[r * 16 + m * 2 + c] = u + 0.5 * rng.normal();
      }
      labels[r] = z + 0.5 * rng.normal() > 0 ? 1 : 0;
    }
    const features: FeatureMatrix = {
      data,
      rows: n,
      cols: 16,
      groupOf: Int32Array.from({ length: 16 }, (_, c) => c >> 1),
      groupNames: w.map((_, m) => `map${m}`),
    };
    const res = await rankFeatureMaps(features, labels, {
      forest: { nTrees: 30 },
      stabilityBootstraps: 0,
      repeats: 3,
      fdr: 0.5,
      confidence: 0.999,
      seed,
      threads: 0,
    });
    checkVerdicts(res);
    const cases = res.groups.flatMap((g) => [g.marginal, g.conditional!]).filter((x) => x.qValue <= 0.5 && x.ciLow <= 0);
    atLeast(cases.length, 1, 'interval test: verdicts with q <= fdr but an interval reaching 0 (the setting must produce some)');
    for (const x of cases) assert.equal(x.significant, false);
    assert.ok(res.groups[3].marginal.significant);
    // caseTest on its own: an all-negative sample is never a discovery; a degenerate all-zero one has p = 1.
    const neg = caseTest([-0.1, -0.2, -0.15, -0.3, -0.25, -0.2], 0.95);
    assert.ok(neg.ciHigh < 0 && neg.pValue > 0.99);
    assert.deepEqual({ p: caseTest([0, 0, 0], 0.95).pValue, changed: caseTest([0, 0, 0], 0.95).nChanged }, { p: 1, changed: 0 });
    // Known answer: d = 1..5 has mean 3, sd sqrt(2.5), t = 3 / (sqrt(2.5) / sqrt(5)) = 4.243, one-sided p(df 4) = 0.00662.
    const k = caseTest([1, 2, 3, 4, 5], 0.95);
    assert.ok(Math.abs(k.t - 4.2426) < 1e-3 && Math.abs(k.pValue - 0.00662) < 5e-5, JSON.stringify(k));
    assert.ok(Math.abs(k.ciLow - (3 - 2.776 * Math.sqrt(0.5))) < 1e-3);
  });

  test('PIMP runs only on request and does not set the verdicts', async () => {
    const seed = testSeed(3);
    const { features, labels } = latentMaps(200, 4, 2, [0], seed);
    const res = await rankFeatureMaps(features, labels, {
      forest: { nTrees: 20 },
      nullPermutations: 19,
      stabilityBootstraps: 0,
      repeats: 2,
      seed,
      threads: 0,
    });
    checkVerdicts(res);
    assert.equal(res.settings.nullPermutations, 19);
    for (const g of res.groups) {
      assert.ok(g.pimp !== null && g.pimp.pValue >= 1 / 20 - 1e-12);
      assert.equal(typeof g.pimp.significant, 'boolean');
    }
    assert.ok(res.groups[0].marginal.significant);
  });
});

// Known-answer tests of the disentanglement metrics on synthetic factors: latents equal to the factors
// score near each metric's maximum, a random rotation of them scores clearly lower (except on the
// metrics that are rotation-invariant by definition), and noise scores near the minimum.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { computeMetrics, type MetricsResult } from '../../src/metrics/index.js';
import { closeSharedPool } from '../../src/forest/index.js';
import { synthetic, type Synthetic } from './synthetic.js';

let s: Synthetic;
let identity: MetricsResult, rotated: MetricsResult, noise: MetricsResult;
const run = (z: Float32Array) => computeMetrics({ data: z, rows: s.n, cols: s.d }, s.factors, { seed: 3, dci: { threads: 2 } });

before(async () => {
  s = synthetic(2000, 1);
  identity = await run(s.identity);
  rotated = await run(s.rotated);
  noise = await run(s.noise);
});
after(() => closeSharedPool());

describe('latents equal to the factors', () => {
  test('score near the maximum on every supervised metric', () => {
    assert.ok(identity.betaVae!.score >= 0.97, `beta-VAE ${identity.betaVae!.score}`);
    assert.ok(identity.factorVae!.score >= 0.97, `FactorVAE ${identity.factorVae!.score}`);
    // Continuous factors lose a little MI to the 20 equal-width latent bins against 10 quantile bins.
    assert.ok(identity.mig!.score >= 0.85, `MIG ${identity.mig!.score}`);
    assert.ok(identity.dci!.disentanglement >= 0.95, `D ${identity.dci!.disentanglement}`);
    assert.ok(identity.dci!.completeness >= 0.95, `C ${identity.dci!.completeness}`);
    assert.ok(identity.dci!.informativeness >= 0.95, `I ${identity.dci!.informativeness}`);
    assert.ok(identity.sap!.score >= 0.9, `SAP ${identity.sap!.score}`);
    assert.ok(identity.modularity!.score >= 0.97, `modularity ${identity.modularity!.score}`);
    assert.ok(identity.explicitness!.score >= 0.95, `explicitness ${identity.explicitness!.score}`);
  });
  test('each factor is found in its own dimension', () => {
    assert.deepEqual(identity.mig!.topDim, [0, 1, 2, 3, 4]);
    identity.dci!.importance.forEach((row, j) => assert.ok(row[j]! > 0.9, `importance of dim ${j} for factor ${j}: ${row[j]}`));
  });
  test('independent factors have near-zero total correlation and every unit active', () => {
    assert.ok(identity.totalCorrelation!.nats < 0.01, `TC ${identity.totalCorrelation!.nats}`);
    assert.equal(identity.activeUnits!.count, 5);
  });
});

describe('a random rotation of them', () => {
  test('scores clearly lower on the metrics that reward axis alignment', () => {
    const pairs: [string, number, number, number][] = [
      ['beta-VAE', identity.betaVae!.score, rotated.betaVae!.score, 0.05],
      ['FactorVAE', identity.factorVae!.score, rotated.factorVae!.score, 0.15],
      ['MIG', identity.mig!.score, rotated.mig!.score, 0.4],
      ['DCI disentanglement', identity.dci!.disentanglement, rotated.dci!.disentanglement, 0.4],
      ['DCI completeness', identity.dci!.completeness, rotated.dci!.completeness, 0.4],
      ['SAP', identity.sap!.score, rotated.sap!.score, 0.4],
      ['modularity', identity.modularity!.score, rotated.modularity!.score, 0.05],
    ];
    for (const [name, id, rot, margin] of pairs) assert.ok(rot < id - margin, `${name}: identity ${id}, rotated ${rot}`);
  });
  test('keeps what a rotation cannot change: informativeness, explicitness, active units', () => {
    // All three ask whether the factors can be read out at all, not whether they sit on axes.
    assert.ok(rotated.dci!.informativeness > 0.9, `I ${rotated.dci!.informativeness}`);
    assert.ok(Math.abs(rotated.explicitness!.score - identity.explicitness!.score) < 0.02);
    assert.equal(rotated.activeUnits!.count, 5);
  });
});

describe('pure noise latents', () => {
  test('score near the minimum', () => {
    assert.ok(
      Math.abs(noise.betaVae!.score - noise.betaVae!.chance) < 0.08,
      `beta-VAE ${noise.betaVae!.score} vs chance ${noise.betaVae!.chance}`,
    );
    assert.ok(Math.abs(noise.factorVae!.score - noise.factorVae!.chance) < 0.08, `FactorVAE ${noise.factorVae!.score}`);
    assert.ok(noise.mig!.score < 0.02, `MIG ${noise.mig!.score}`);
    assert.ok(noise.dci!.disentanglement < 0.05, `D ${noise.dci!.disentanglement}`);
    assert.ok(noise.dci!.completeness < 0.05, `C ${noise.dci!.completeness}`);
    assert.ok(noise.sap!.score < 0.05, `SAP ${noise.sap!.score}`);
    assert.ok(Math.abs(noise.explicitness!.score - 0.5) < 0.03, `explicitness ${noise.explicitness!.score}`);
  });
  test('informativeness falls to what the class priors give', () => {
    // Discrete factors: majority-class accuracy (1/2 and 1/4); continuous: R^2 clipped at 0.
    assert.ok(Math.abs(noise.dci!.informativeness - (0.5 + 0.25) / 5) < 0.04, `I ${noise.dci!.informativeness}`);
  });
  test('modularity is not a noise detector: small equal MIs still read as fairly modular', () => {
    // Documented caveat: modularity normalises by each dimension's largest MI, so noise sits mid-range.
    assert.ok(noise.modularity!.score > 0.2 && noise.modularity!.score < identity.modularity!.score - 0.2);
  });
});

test('unsupervised metrics: Gaussian TC of correlated latents and the active-unit threshold', async () => {
  const n = 4000;
  const rho = 0.8;
  const { Random } = await import('../../src/core/random.js');
  const rnd = new Random(5);
  const z = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const a = rnd.normal(),
      b = rnd.normal();
    z[i * 3] = a;
    z[i * 3 + 1] = rho * a + Math.sqrt(1 - rho * rho) * b;
    z[i * 3 + 2] = 0.05 * rnd.normal(); // variance 0.0025: below the 0.01 threshold
  }
  const r = await computeMetrics({ data: z, rows: n, cols: 3 }, null, { metrics: ['totalCorrelation', 'activeUnits'] });
  // Bivariate Gaussian with correlation rho: TC = -0.5 log(1 - rho^2) = 0.5108 nats.
  assert.ok(Math.abs(r.totalCorrelation!.nats - 0.5108) < 0.03, `TC ${r.totalCorrelation!.nats}`);
  assert.deepEqual(r.activeUnits!.active, [true, true, false]);
  await assert.rejects(computeMetrics({ data: z, rows: n, cols: 3 }, null, { metrics: ['mig'] }), /need ground-truth factors/);
});

test('same seed, same result; lasso importances agree with the forest on identity latents', async () => {
  const a = await computeMetrics({ data: s.rotated, rows: s.n, cols: s.d }, s.factors, {
    seed: 9,
    metrics: ['betaVae', 'factorVae', 'dci'],
    dci: { threads: 2 },
  });
  const b = await computeMetrics({ data: s.rotated, rows: s.n, cols: s.d }, s.factors, {
    seed: 9,
    metrics: ['betaVae', 'factorVae', 'dci'],
    dci: { threads: 0 },
  });
  assert.equal(a.betaVae!.score, b.betaVae!.score);
  assert.equal(a.factorVae!.score, b.factorVae!.score);
  assert.equal(a.dci!.disentanglement, b.dci!.disentanglement);
  const lasso = await computeMetrics({ data: s.identity, rows: s.n, cols: s.d }, s.factors, {
    metrics: ['dci'],
    dci: { importance: 'lasso' },
  });
  assert.ok(lasso.dci!.disentanglement > 0.95, `lasso D ${lasso.dci!.disentanglement}`);
  assert.equal(lasso.dci!.importanceMethod, 'lasso');
});

test('a constant factor is left out and named; all-constant factors are an error', async () => {
  const names = [...s.factors.names, 'always_one'];
  const nf = names.length;
  const values = new Float32Array(s.n * nf);
  for (let i = 0; i < s.n; i++) {
    for (let k = 0; k < nf - 1; k++) values[i * nf + k] = s.factors.values[i * (nf - 1) + k]!;
    values[i * nf + nf - 1] = 1;
  }
  const z = { data: s.identity, rows: s.n, cols: s.d };
  const opts = { seed: 3, metrics: ['mig', 'dci'] as const, dci: { threads: 2 } };
  const withConst = await computeMetrics(z, { names, values }, { ...opts, metrics: [...opts.metrics] });
  const without = await computeMetrics(z, s.factors, { ...opts, metrics: [...opts.metrics] });
  assert.deepEqual(withConst.constantFactors, ['always_one']);
  assert.equal(withConst.factors.length, s.factors.names.length);
  assert.equal(withConst.mig!.score, without.mig!.score);
  assert.equal(withConst.dci!.disentanglement, without.dci!.disentanglement);
  const ones = { names: ['a'], values: new Float32Array(s.n).fill(1) };
  await assert.rejects(computeMetrics(z, ones, { metrics: ['mig'] }), /every factor is constant/);
});

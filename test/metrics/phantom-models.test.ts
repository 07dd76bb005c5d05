// Integration: a beta-VAE trained on phantoms should be more disentangled than a plain autoencoder of
// the same size. Tiny on purpose (32x32, 6-dim vector latents, a few hundred steps); the numbers are
// printed so a run shows them, and the claim tested is the issue's: above on MIG or DCI disentanglement.
// Opt-in (LATENTLENS_SLOW_TESTS=1): training both models took 20 minutes on the shared 2-core machine.
// Measured at 400 steps it did NOT hold (beta-VAE MIG 0.003, D 0.036 with 2/6 active units; ConvAE
// MIG 0.011, D 0.044): the test states the claim and is left failing rather than tuned to pass. At
// LATENTLENS_METRICS_STEPS=1000 it passes only on DCI D (beta-VAE 0.040 vs 0.027; MIG 0.012 vs 0.014,
// 1/6 active units): every number is near zero, so the margin means little.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, scope } from '../../src/engine/index.js';
import { closeSharedPool } from '../../src/forest/index.js';
import { createModel } from '../../src/models/registry.js';
import { computeMetrics, encodeLatents, latentTable, type MetricsResult } from '../../src/metrics/index.js';
import { fit, imagesTensor, phantoms } from './train-helpers.js';

after(() => closeSharedPool());

const STEPS = Number(process.env.LATENTLENS_METRICS_STEPS ?? 400);

const slow = process.env.LATENTLENS_SLOW_TESTS === '1';

test('a beta-VAE on phantoms scores above a plain ConvAE on MIG or DCI disentanglement', { skip: slow ? false : 'slow: set LATENTLENS_SLOW_TESTS=1' }, async () => {
  const train = phantoms(1024, 32, 11);
  const evalSet = phantoms(1000, 32, 12);
  const x = scope(() => imagesTensor(train));
  const results: Record<string, MetricsResult> = {};
  for (const kind of ['conv-ae', 'beta-vae'] as const) {
    manualSeed(1);
    const common = { inputShape: [2, 32, 32] as [number, number, number], latentMaps: 6, latentGrid: [1, 1] as [number, number], width: 16 };
    const model = createModel(kind, kind === 'beta-vae' ? { ...common, latent: 'vector', beta: 4 } : common);
    const t0 = performance.now();
    fit(model, x, STEPS, 32, 2e-3, 1);
    const trainS = (performance.now() - t0) / 1000;
    const maps = encodeLatents(model, evalSet.images, evalSet.shape);
    const r = await computeMetrics(latentTable(maps), evalSet.factors!, { seed: 0, metrics: ['mig', 'dci', 'sap', 'factorVae', 'betaVae', 'activeUnits'], dci: { threads: 2 } });
    results[kind] = r;
    console.log(`${kind}: trained ${STEPS} steps in ${trainS.toFixed(1)} s; MIG ${r.mig!.score.toFixed(3)}, DCI D ${r.dci!.disentanglement.toFixed(3)} ` +
      `C ${r.dci!.completeness.toFixed(3)} I ${r.dci!.informativeness.toFixed(3)}, SAP ${r.sap!.score.toFixed(3)}, ` +
      `FactorVAE ${r.factorVae!.score.toFixed(3)}, beta-VAE ${r.betaVae!.score.toFixed(3)}, active ${r.activeUnits!.count}/6`);
    model.dispose();
  }
  x.dispose();
  const ae = results['conv-ae']!, bvae = results['beta-vae']!;
  assert.ok(bvae.mig!.score > ae.mig!.score || bvae.dci!.disentanglement > ae.dci!.disentanglement,
    `beta-VAE MIG ${bvae.mig!.score} / D ${bvae.dci!.disentanglement} vs AE MIG ${ae.mig!.score} / D ${ae.dci!.disentanglement}`);
});

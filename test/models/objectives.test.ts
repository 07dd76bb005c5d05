// The objectives against known answers: the VAE KL in closed form, beta-TCVAE's decomposition, the
// FactorVAE discriminator, and InfoGAN's categorical code.
import assert from 'node:assert/strict';
import test from 'node:test';
import { Adam, F, manualSeed, noGrad, randn, scope, tensor } from '../../src/engine/index.js';
import { gaussianKl, tcDecomposition } from '../../src/models/losses.js';
import { FactorVAE, permuteDims } from '../../src/models/factor-vae.js';
import { InfoGAN } from '../../src/models/infogan.js';
import { assertClose } from '../helpers/close.js';
import { fit, phantomTensor } from '../helpers/train-loop.js';

test('VAE KL term equals the closed form for known means and variances', () => {
  scope(() => {
    // Two samples, two dims: KL = 0.5 sum(mu^2 + s^2 - 1 - log s^2), averaged over the 2 samples.
    const mu = tensor([0, 1, -2, 0.5], [2, 2]);
    const variances = [1, 4, 0.25, 2];
    const logvar = tensor(variances.map(Math.log), [2, 2]);
    const mus = [0, 1, -2, 0.5];
    const expected = mus.reduce((s, m, i) => s + 0.5 * (m * m + variances[i]! - 1 - Math.log(variances[i]!)), 0) / 2;
    assertClose([gaussianKl(mu, logvar).item()], [expected], 1e-6);
    assertClose([gaussianKl(tensor([0, 0], [1, 2]), tensor([0, 0], [1, 2])).item()], [0], 0, 1e-7);
  });
});

test('beta-TCVAE terms add up to the KL and behave as the decomposition says', () => {
  scope(() => {
    manualSeed(2);
    const b = 512,
      d = 3;
    // Posteriors with known means/variances; z drawn from them.
    const mu = randn([b, d], { dtype: 'float64' }).mul(0.8);
    const logvar = tensor(
      Array.from({ length: b * d }, (_, i) => Math.log(0.2 + 0.1 * (i % 3))),
      [b, d],
      { dtype: 'float64' },
    );
    const z = mu.add(
      logvar
        .mul(0.5)
        .exp()
        .mul(randn([b, d], { dtype: 'float64' })),
    );
    const t = tcDecomposition(z, mu, logvar, b);
    // Exact identity: mi + tc + dwKl = E[log q(z|x) - log p(z)].
    assertClose([t.mi.item() + t.tc.item() + t.dwKl.item()], [t.kl.item()], 1e-9, 1e-9, 'sum of terms');
    // The Monte Carlo KL estimates the closed-form KL.
    assertClose([t.kl.item()], [gaussianKl(mu, logvar).item()], 0.05, 0.05, 'MC KL vs closed form');
    // Independent dimensions: total correlation near zero. Correlated copies: clearly positive.
    assert.ok(Math.abs(t.tc.item()) < 0.15, `tc of independent latents ${t.tc.item()}`);
    const zc = F.cat([z.narrow(1, 0, 1), z.narrow(1, 0, 1), z.narrow(1, 0, 1)], 1);
    const muc = F.cat([mu.narrow(1, 0, 1), mu.narrow(1, 0, 1), mu.narrow(1, 0, 1)], 1);
    const lvc = F.cat([logvar.narrow(1, 0, 1), logvar.narrow(1, 0, 1), logvar.narrow(1, 0, 1)], 1);
    assert.ok(tcDecomposition(zc, muc, lvc, b).tc.item() > 1, 'three copies of one latent are strongly dependent');
  });
});

test("permuteDims keeps each column's values and breaks the dependence between columns", () => {
  scope(() => {
    manualSeed(4);
    const a = randn([200, 1]);
    const z = F.cat([a, a], 1);
    const p = permuteDims(z);
    const sorted = (t: typeof z, c: number) => [...t.select(1, c).toFloat32()].sort((x, y) => x - y);
    assert.deepEqual(sorted(p, 0), sorted(z, 0));
    const same = p.select(1, 0).eq(p.select(1, 1)).float().mean().item();
    assert.ok(same < 0.05, `columns still equal in ${same} of rows`);
  });
});

test('the FactorVAE discriminator separates joint latents from dimension-permuted ones', () => {
  scope(() => {
    manualSeed(6);
    const model = new FactorVAE({ inputShape: [1, 32, 32], latent: 'vector', latentMaps: 4, width: 8, discriminatorLr: 1e-3 });
    const d = model.paramGroups().find((g) => g.name === 'discriminator')!;
    const opt = new Adam(d.params, { lr: 1e-3, betas: [0.5, 0.9] });
    const sample = () => {
      const a = randn([128, 2]);
      return F.cat([a, a.mul(0.9).add(randn([128, 2]).mul(0.3))], 1); // dims 2,3 depend on dims 0,1
    };
    for (let i = 0; i < 300; i++) {
      scope(() => {
        for (const p of d.params) p.grad = null;
        model.discriminatorLoss(sample()).backward();
        opt.step();
      });
    }
    noGrad(() => {
      const z = sample();
      const real = model.discriminate(z).gt(0).float().mean().item();
      const fake = model.discriminate(permuteDims(z)).lt(0).float().mean().item();
      assert.ok((real + fake) / 2 > 0.8, `accuracy ${(real + fake) / 2}`);
    });
    opt.dispose();
    model.dispose();
  });
});

test('InfoGAN recovers its categorical code well above chance on phantoms', () => {
  scope(() => {
    const model = new InfoGAN({ inputShape: [2, 32, 32], width: 16, categories: 4, continuous: 1, noiseDim: 8 });
    const x = phantomTensor(256, 32, 3);
    const log = fit(model, x, 250, 32, 2e-4, 3);
    assert.ok(log.every((t) => Number.isFinite(t.loss!)));
    noGrad(() => {
      manualSeed(9);
      const s = model.sampleCodes(256);
      const q = model.predictCodes(model.generate(s.noise, s.codes));
      const acc = q.narrow(1, 0, 4).argmax(1).eq(s.classes).float().mean().item();
      assert.ok(acc > 0.6, `categorical code accuracy ${acc} (chance 0.25)`);
      assert.deepEqual(model.encode(x.narrow(0, 0, 3)).z.shape, [3, 5, 1, 1]);
    });
    model.dispose();
  });
});

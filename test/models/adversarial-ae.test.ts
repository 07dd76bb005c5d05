// The adversarial decoder (src/models/adversarial/) on every model of the zoo that has a conv decoder:
// one training step moves the decoder and the discriminator only, the terms are finite, the warm-up
// leaves the discriminator alone, and the model encodes and decodes exactly as its base.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { manualSeed, noGrad, rand, scope, setNumThreads, type Tensor } from '../../src/engine/index.js';
import { AdversarialAE } from '../../src/models/adversarial/adversarial-ae.js';
import { PatchDiscriminator } from '../../src/models/adversarial/patch-discriminator.js';
import { createModel, modelFromConfig } from '../../src/models/registry.js';
import type { LatentModel, ModelKind } from '../../src/models/types.js';

setNumThreads(1);
const SHAPE: [number, number, number] = [2, 28, 28];
const small = { inputShape: SHAPE, width: 8, latentMaps: 4 };

// One step with an update that back-propagates only, recording which groups were updated.
function step(model: AdversarialAE, x: Tensor, at: number): { terms: Record<string, number>; groups: string[] } {
  const groups: string[] = [];
  for (const p of model.parameters()) p.grad = null;
  const terms = scope(() =>
    model.trainStep(x, at, (group, loss) => {
      groups.push(group);
      loss.backward();
    }),
  );
  return { terms, groups };
}

const hasGrad = (params: Tensor[]) => params.some((p) => p.grad !== null && p.grad.abs().sum().item() > 0);

const kinds: [ModelKind, Record<string, unknown>][] = [
  ['conv-ae', {}],
  ['vae', {}],
  ['vae', { latent: 'vector' }],
  ['beta-tcvae', { datasetSize: 64 }],
  ['factor-vae', {}],
  ['infogan', { noiseDim: 4, categories: 3, continuous: 1 }],
];

for (const [kind, extra] of kinds) {
  test(`adversarial decoder on ${kind}${extra.latent ? ` (${String(extra.latent)})` : ''}: decoder and discriminator train, the rest is frozen`, () => {
    manualSeed(3);
    const base = createModel(kind, { ...small, ...extra } as never);
    const model = new AdversarialAE(base, { advStart: 2, discriminatorWidth: 8 });
    try {
      scope(() => {
        const x = rand([4, ...SHAPE]);
        model.train(true);
        const groups = model.paramGroups();
        const decoder = groups.find((g) => g.name === 'decoder')!.params;
        const disc = groups.find((g) => g.name === 'discriminator')!.params;
        const inDecoder = new Set([...decoder, ...disc]);
        const frozen = model.parameters().filter((p) => !inDecoder.has(p));
        assert.ok(frozen.length > 0 && decoder.length > 0);

        const warm = step(model, x, 2);
        assert.deepEqual(warm.groups, ['decoder'], 'warm-up: reconstruction only, the discriminator is not stepped');
        assert.equal(warm.terms.adv_weight, 0);
        const on = step(model, x, 3);
        assert.deepEqual(on.groups, ['decoder', 'discriminator']);
        for (const [name, v] of Object.entries(on.terms)) assert.ok(Number.isFinite(v), `${name} = ${v}`);
        assert.ok(on.terms.adv_weight! > 0, `adaptive weight ${on.terms.adv_weight}`);
        assert.ok(hasGrad(decoder) && hasGrad(disc), 'decoder and discriminator receive gradients');
        assert.ok(!hasGrad(frozen), 'no gradient reaches the encoder (or any other frozen part)');

        model.eval();
        noGrad(() => {
          const z = model.encode(x).z;
          assert.deepEqual(z.toFloat32(), base.encode(x).z.toFloat32());
          assert.deepEqual(model.decode(z).toFloat32(), base.decode(z).toFloat32());
        });
      });
      // Rebuilt from its config (as a run folder does), it holds the same parameter names.
      const again = modelFromConfig(model.config as never) as LatentModel;
      assert.deepEqual([...again.stateDict().keys()].sort(), [...model.stateDict().keys()].sort());
      again.dispose();
    } finally {
      model.dispose();
    }
  });
}

test('adversarial decoder: hinge terms, patch logits per patch, and the kinds it refuses', () => {
  manualSeed(4);
  const d = new PatchDiscriminator({ channels: 2, width: 8 });
  scope(() => assert.deepEqual(d.forward(rand([3, ...SHAPE])).shape, [3, 1, 7, 7]));
  d.dispose();
  const model = new AdversarialAE(createModel('conv-ae', small), {
    advLoss: 'hinge',
    advStart: 0,
    adaptiveWeight: false,
    discriminatorWidth: 8,
  });
  try {
    model.train(true);
    const { terms } = step(
      model,
      scope(() => rand([4, ...SHAPE])),
      1,
    );
    assert.equal(terms.adv_weight, 0.5, 'without the adaptive factor the weight is advWeight');
    assert.ok(Number.isFinite(terms.gen!) && terms.disc! >= 0);
    assert.equal(model.config.perceptual, 'none');
  } finally {
    model.dispose();
  }
  const nested = new AdversarialAE(createModel('conv-ae', small), { discriminatorWidth: 8 });
  assert.throws(() => new AdversarialAE(nested), /adversarial-ae model has no conv decoder/);
  nested.dispose();
  assert.throws(() => new AdversarialAE(createModel('conv-ae', small), { advLoss: 'wasserstein' as never }), /non-saturating or hinge/);
});

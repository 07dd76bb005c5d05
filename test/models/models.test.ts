// The model zoo on phantoms: every model's loss falls, latents have the documented shapes, and each
// model exposes the same surface.
import assert from 'node:assert/strict';
import test from 'node:test';
import { noGrad, scope } from '../../src/engine/index.js';
import { createModel, modelFromConfig } from '../../src/models/registry.js';
import type { ModelKind } from '../../src/models/types.js';
import { fit, meanOf, phantomTensor } from '../helpers/train-loop.js';

const base = { inputShape: [2, 32, 32] as [number, number, number], width: 8, latentMaps: 6, latentGrid: [8, 8] as [number, number] };

const cases: { kind: ModelKind; options: object; steps: number; key: string; zShape: number[] }[] = [
  { kind: 'conv-ae', options: {}, steps: 150, key: 'loss', zShape: [4, 6, 8, 8] },
  { kind: 'vae', options: {}, steps: 150, key: 'loss', zShape: [4, 6, 8, 8] },
  { kind: 'vae', options: { latent: 'vector', latentMaps: 5 }, steps: 150, key: 'loss', zShape: [4, 5, 1, 1] },
  { kind: 'beta-vae', options: {}, steps: 150, key: 'loss', zShape: [4, 6, 8, 8] },
  { kind: 'beta-vae', options: { capacity: { max: 25, steps: 100, gamma: 10 } }, steps: 150, key: 'recon', zShape: [4, 6, 8, 8] },
  { kind: 'beta-tcvae', options: { latent: 'vector', latentMaps: 5, datasetSize: 256 }, steps: 150, key: 'recon', zShape: [4, 5, 1, 1] },
  { kind: 'factor-vae', options: { latent: 'vector', latentMaps: 5 }, steps: 150, key: 'recon', zShape: [4, 5, 1, 1] },
];

for (const c of cases) {
  test(`${c.kind} ${JSON.stringify(c.options)}: loss falls on phantoms and encode/decode keep their shapes`, () => {
    scope(() => {
      const x = phantomTensor(256, 32, 1);
      const model = createModel(c.kind, { ...base, ...c.options });
      const log = fit(model, x, c.steps);
      const first = meanOf(log, c.key, 0, 10),
        last = meanOf(log, c.key, c.steps - 10, c.steps);
      assert.ok(last < 0.8 * first, `${c.key}: ${first.toFixed(3)} -> ${last.toFixed(3)}`);
      assert.ok(log.every((t) => Object.values(t).every(Number.isFinite)));
      noGrad(() => {
        const xb = x.narrow(0, 0, 4);
        const { z } = model.encode(xb);
        assert.deepEqual(z.shape, c.zShape);
        assert.deepEqual(model.decode(z).shape, [4, 2, 32, 32]);
        const r = model.reconstruct(xb).toFloat32();
        assert.ok(
          r.every((v) => v >= 0 && v <= 1),
          'pixels in 0..1',
        );
        assert.ok(Number.isFinite(model.evalLoss(xb).loss));
      });
      assert.equal(model.config.kind, c.kind);
      model.dispose();
    });
  });
}

test('the latent grid must be the input divided by a power of two', () => {
  assert.throws(() => createModel('conv-ae', { inputShape: [1, 28, 28], latentGrid: [5, 5] }), /28x28 input divided by one power of two/);
  assert.throws(() => createModel('conv-ae', { inputShape: [1, 16, 16] }), /28 to 256 pixels/);
});

test('the default latent grid is a quarter of the input, halved while above 16 per side (a bottleneck for large inputs)', () => {
  const grid = (kind: ModelKind, side: number, extra: object = {}) => {
    const m = createModel(kind, { inputShape: [1, side, side], width: 4, latentMaps: 2, ...extra });
    const g = (m.config as { backboneGrid?: [number, number] }).backboneGrid ?? m.config.latentGrid;
    m.dispose();
    return g;
  };
  assert.deepEqual(grid('conv-ae', 28), [7, 7]);
  assert.deepEqual(grid('conv-ae', 64), [16, 16]);
  assert.deepEqual(grid('conv-ae', 128), [16, 16]);
  assert.deepEqual(grid('conv-ae', 240), [15, 15]);
  assert.deepEqual(grid('vae', 128), [16, 16]);
  assert.deepEqual(grid('conv-ae', 128, { latentGrid: [32, 32] }), [32, 32], 'an explicit grid is kept');
});

test('every model kind is rebuilt from its own config with the same parameter shapes', () => {
  for (const [kind, extra] of [
    ['conv-ae', {}],
    ['vae', { latent: 'vector' }],
    ['beta-tcvae', { latent: 'vector' }],
    ['factor-vae', {}],
    ['infogan', {}],
  ] as const) {
    const a = createModel(kind, { ...base, ...extra });
    const b = modelFromConfig(JSON.parse(JSON.stringify(a.config)) as typeof a.config & { kind: ModelKind });
    const shapes = (m: typeof a) => [...m.stateDict()].map(([n, t]) => `${n}:${t.shape.join('x')}`);
    assert.deepEqual(shapes(b), shapes(a), kind);
    a.dispose();
    b.dispose();
  }
});

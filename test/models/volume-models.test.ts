// The 3D variants: an inputShape of [C, D, H, W] builds Conv3d stacks for the ConvAE and the VAE
// family; the loss falls on volume phantoms, latents are K x d x h x w, the models without a 3D variant
// are refused by name, and a 3D model rebuilds from its config with the same parameter names.
import assert from 'node:assert/strict';
import test from 'node:test';
import { generateVolumePhantoms } from '../../src/data/phantom-volumes.js';
import { noGrad, scope, tensor } from '../../src/engine/index.js';
import { createModel, modelFromConfig } from '../../src/models/registry.js';
import type { ModelKind } from '../../src/models/types.js';
import { fit, meanOf } from '../helpers/train-loop.js';

const base = { inputShape: [2, 16, 16, 16] as [number, number, number, number], width: 4, latentMaps: 4 };

const cases: { kind: ModelKind; options: object; key: string; zShape: number[] }[] = [
  { kind: 'conv-ae', options: {}, key: 'loss', zShape: [2, 4, 4, 4, 4] },
  { kind: 'vae', options: {}, key: 'loss', zShape: [2, 4, 4, 4, 4] },
  { kind: 'beta-tcvae', options: { latent: 'vector', latentMaps: 3, datasetSize: 64 }, key: 'recon', zShape: [2, 3, 1, 1, 1] },
];

function volumes() {
  const ds = generateVolumePhantoms({ n: 64, size: 16, seed: 1 });
  return tensor(ds.images, ds.shape).clamp(0, 1);
}

for (const c of cases) {
  test(`3D ${c.kind} ${JSON.stringify(c.options)}: loss falls on volume phantoms, shapes are 5-D`, () => {
    scope(() => {
      const x = volumes();
      const model = createModel(c.kind, { ...base, ...c.options });
      const steps = 60;
      const log = fit(model, x, steps, 8, 3e-3);
      const first = meanOf(log, c.key, 0, 5),
        last = meanOf(log, c.key, steps - 5, steps);
      assert.ok(last < 0.9 * first, `${c.key}: ${first.toFixed(4)} -> ${last.toFixed(4)}`);
      noGrad(() => {
        const xb = x.narrow(0, 0, 2);
        const { z } = model.encode(xb);
        assert.deepEqual(z.shape, c.zShape);
        assert.deepEqual(model.decode(z).shape, [2, 2, 16, 16, 16]);
      });
      assert.equal(model.config.latentGrid.length, 3);
      const first5d = [...model.stateDict().values()].find((t) => t.ndim === 5);
      assert.ok(first5d, 'the stacks hold Conv3d weights (5-D)');
      const again = modelFromConfig(JSON.parse(JSON.stringify(model.config)));
      assert.deepEqual([...again.stateDict().keys()], [...model.stateDict().keys()]);
      again.dispose();
      model.dispose();
    });
  });
}

test('3D geometry: default grid a quarter of each side; models without a 3D variant and bad grids are refused by name', () => {
  scope(() => {
    const m = createModel('conv-ae', { inputShape: [1, 28, 28, 28], width: 2, latentMaps: 2 });
    assert.deepEqual(m.config.latentGrid, [7, 7, 7]);
    m.dispose();
    assert.throws(
      () => createModel('infogan', { inputShape: [1, 28, 28, 28] }),
      /infogan has no 3D variant for volumes \(input 1 x 28 x 28 x 28\); use one of conv-ae, vae, beta-vae, beta-tcvae, factor-vae/,
    );
    assert.throws(
      () => createModel('conv-ae', { inputShape: [1, 28, 28, 28], latentGrid: [7, 7] }),
      /latent grid 7x7 has 2 sides; a 28x28x28 volume takes a d x h x w grid \(e\.g\. 7x7x7\)/,
    );
    assert.throws(() => createModel('conv-ae', { inputShape: [1, 8, 8, 8] }), /3D models take 16 to 128 voxels per side/);
  });
});

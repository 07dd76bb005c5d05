// A user's TorchScript autoencoder behind the LatentModel surface: encode, decode and input gradients.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import test from 'node:test';
import { fileURLToPath } from 'node:url';
import { grad, scope, tensor } from '../../src/engine/index.js';
import { createModel } from '../../src/models/registry.js';
import { assertClose } from '../helpers/close.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../../test/fixtures/${name}`, import.meta.url));
const expected = JSON.parse(readFileSync(fixture('tiny_ae.expected.json'), 'utf8')) as {
  latent: number[];
  reconstruction: number[];
  grad_latent1_mean: number[];
};

test('a TorchScript autoencoder works as a latentlens model', () => {
  scope(() => {
    const model = createModel('torchscript', { path: fixture('tiny_ae.pt'), inputShape: [2, 8, 8] });
    assert.equal(model.config.latentMaps, 3);
    assert.deepEqual(model.config.latentGrid, [2, 2]);
    const x = tensor(
      Array.from({ length: 128 }, (_, i) => Math.sin(0.37 * i) * 0.5 + 0.5),
      [1, 2, 8, 8],
    ).requiresGrad_(true);
    const { z } = model.encode(x);
    assertClose(z.toFloat32(), expected.latent, 1e-4, 1e-6, 'encode');
    assertClose(model.decode(z).toFloat32(), expected.reconstruction, 1e-4, 1e-6, 'decode');
    const [g] = grad(z.select(1, 1).mean(), x);
    assertClose(g!.toFloat32(), expected.grad_latent1_mean, 1e-3, 1e-7, 'input gradient');
    assert.ok(model.stateDict().has('enc.0.weight'));
  });
});

test('a TorchScript file without encode/decode is refused with advice', () => {
  assert.throws(() => createModel('torchscript', { inputShape: [2, 8, 8] }), /give path/);
});

test('a TorchScript model refuses weights of another dtype, shape, or with NaN, naming the tensor (issue 20)', () => {
  scope(() => {
    const model = createModel('torchscript', { path: fixture('tiny_ae.pt'), inputShape: [2, 8, 8] });
    const own = model.stateDict();
    const w = own.get('enc.0.weight')!;
    const state = (name: string, t: ReturnType<typeof tensor>) => new Map([...own].map(([n, v]) => [n, n === name ? t : v.clone()]));
    const before = w.toFloat32();
    assert.throws(
      () => model.loadStateDict(state('enc.0.weight', w.to('int32'))),
      /'enc\.0\.weight' is int32, the module's tensor is float32/,
    );
    assert.throws(
      () => model.loadStateDict(state('enc.0.weight', w.flatten())),
      /'enc\.0\.weight' has shape \[\d+\], the module expects \[/,
    );
    const bad = w.clone().flatten();
    const values = bad.toFloat32();
    values[0] = NaN;
    assert.throws(
      () => model.loadStateDict(state('enc.0.weight', tensor(values, w.shape))),
      /'enc\.0\.weight' holds 1 NaN or Inf value of \d+; expected finite weights/,
    );
    assertClose(w.toFloat32(), before, 0, 0, 'unchanged');
  });
});

// TorchScript: a scripted autoencoder exported by PyTorch (test/fixtures/make_tiny_ae.py) gives PyTorch's
// own values for its latents, reconstruction and the input gradient of one latent channel.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import test from 'node:test';
import { fileURLToPath } from 'node:url';
import { grad, scope, ScriptModule, tensor } from '../../src/engine/index.js';
import { assertClose } from '../helpers/close.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../../test/fixtures/${name}`, import.meta.url));
const expected = JSON.parse(readFileSync(fixture('tiny_ae.expected.json'), 'utf8')) as {
  latent_shape: number[];
  latent: number[];
  reconstruction: number[];
  grad_latent1_mean: number[];
  parameter_names: string[];
};
const input = () =>
  tensor(
    Array.from({ length: 128 }, (_, i) => Math.sin(0.37 * i) * 0.5 + 0.5),
    [1, 2, 8, 8],
  );

test('a TorchScript autoencoder encodes, decodes and lists its parameters as PyTorch does', () => {
  scope(() => {
    const m = ScriptModule.load(fixture('tiny_ae.pt')).eval();
    assert.ok(m.hasMethod('encode') && m.hasMethod('decode') && m.hasMethod('forward'));
    const z = m.callTensor('encode', input());
    assert.deepEqual(z.shape, expected.latent_shape);
    assertClose(z.toFloat32(), expected.latent, 1e-4, 1e-6, 'latent');
    assertClose(m.callTensor('decode', z).toFloat32(), expected.reconstruction, 1e-4, 1e-6, 'decode(encode(x))');
    assertClose((m.forward(input()) as typeof z).toFloat32(), expected.reconstruction, 1e-4, 1e-6, 'forward');
    assert.deepEqual(
      m.namedParameters().map(([n]) => n),
      expected.parameter_names,
    );
  });
});

test('gradients flow from a TorchScript latent channel back to the JS input', () => {
  scope(() => {
    const m = ScriptModule.load(fixture('tiny_ae.pt')).eval();
    const x = input().requiresGrad_(true);
    const target = m.callTensor('encode', x).select(1, 1).mean();
    const [g] = grad(target, x);
    assertClose(g!.toFloat32(), expected.grad_latent1_mean, 1e-3, 1e-7, 'd mean(z[:,1]) / dx');
  });
});

test('a missing method or file raises a catchable error with a useful message', () => {
  const m = ScriptModule.load(fixture('tiny_ae.pt'));
  assert.throws(() => m.call('classify', tensor([0], [1])), /no method 'classify' \(it has: .*encode/);
  assert.throws(() => ScriptModule.load('/nonexistent/model.pt'), /not found: \/nonexistent\/model.pt/);
  assert.throws(() => m.call('encode', tensor([1, 2, 3], [3])), /Expected .*4/);
});

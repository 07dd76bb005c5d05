// Modules: PyTorch parameter names, default initialisation bounds, batch-norm statistics, state dicts.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { manualSeed, noGrad, randn, scope, tensor } from '../../src/engine/index.js';
import { BatchNorm2d, Conv2d, ConvTranspose2d, GroupNorm, Linear, loadStateDict, ReLU, saveStateDict, Sequential } from '../../src/nn/index.js';
import { ReferenceAE } from '../../src/models/reference-ae.js';
import { assertClose } from '../helpers/close.js';

test('named parameters and buffers use PyTorch dotted names', () => {
  const model = new ReferenceAE();
  assert.deepEqual(model.namedParameters().map(([n]) => n), [
    'encoder.0.weight', 'encoder.0.bias', 'encoder.2.weight', 'encoder.2.bias', 'encoder.4.weight', 'encoder.4.bias',
    'decoder.0.weight', 'decoder.0.bias', 'decoder.2.weight', 'decoder.2.bias', 'decoder.4.weight', 'decoder.4.bias',
  ]);
  assert.deepEqual(model.namedParameters()[6]![1].shape, [64, 64, 3, 3]);
  const bn = new Sequential(new Conv2d(1, 2, 3), new BatchNorm2d(2));
  assert.deepEqual(bn.namedBuffers().map(([n]) => n), ['1.running_mean', '1.running_var', '1.num_batches_tracked']);
  model.dispose();
  bn.dispose();
});

test('default initialisation stays inside PyTorch bounds and fills them', () => {
  manualSeed(1);
  const conv = new Conv2d(4, 8, 3); // fan_in 36 -> bound 1/6
  const w = conv.weight.toFloat32();
  const bound = 1 / 6;
  assert.ok(w.every((v) => Math.abs(v) <= bound));
  assert.ok(Math.max(...w.map(Math.abs)) > 0.9 * bound, 'uniform over the whole interval');
  const convT = new ConvTranspose2d(4, 2, 3); // weight [4, 2, 3, 3], fan_in = 2 * 9 -> bound 1/sqrt(18)
  assert.ok(convT.bias!.toFloat32().every((v) => Math.abs(v) <= 1 / Math.sqrt(18)));
  const lin = new Linear(100, 3);
  assert.ok(lin.weight.toFloat32().every((v) => Math.abs(v) <= 0.1));
  for (const m of [conv, convT, lin]) m.dispose();
});

test('BatchNorm2d normalises with batch statistics in training and running statistics in eval', () => {
  scope(() => {
    const bn = new BatchNorm2d(1, { momentum: 0.5 });
    const x = tensor([1, 3, 5, 7], [4, 1, 1, 1]); // mean 4, biased var 5, unbiased 20/3
    const y = bn.forward(x);
    assertClose(y.toFloat32(), [-3, -1, 1, 3].map((v) => v / Math.sqrt(5 + 1e-5)), 1e-5);
    assertClose(bn.runningMean.toFloat32(), [2]);
    assertClose(bn.runningVar.toFloat32(), [0.5 + 0.5 * (20 / 3)], 1e-5);
    assert.equal(bn.numBatchesTracked.item(), 1);
    bn.eval();
    assertClose(bn.forward(tensor([2], [1, 1, 1, 1])).toFloat32(), [0], 0, 1e-6);
    bn.dispose();
  });
});

test('GroupNorm normalises each group of channels', () => {
  scope(() => {
    const gn = new GroupNorm(1, 2);
    const y = gn.forward(tensor([0, 2, 4, 6], [1, 2, 1, 2]));
    assertClose(y.toFloat32(), [-3, -1, 1, 3].map((v) => v / Math.sqrt(5 + 1e-5)), 1e-5);
    gn.dispose();
  });
});

test('state dict saved as safetensors loads back into a fresh module with identical outputs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'll-sd-'));
  manualSeed(3);
  const a = new Sequential(new Conv2d(1, 4, 3, { padding: 1 }), new BatchNorm2d(4), ReLU());
  scope(() => a.forward(randn([2, 1, 5, 5]))); // moves the running statistics off their defaults
  saveStateDict(a, join(dir, 'a.safetensors'), { note: 'test' });
  manualSeed(99);
  const b = new Sequential(new Conv2d(1, 4, 3, { padding: 1 }), new BatchNorm2d(4), ReLU());
  const meta = loadStateDict(b, join(dir, 'a.safetensors'));
  assert.equal(meta.note, 'test');
  assert.equal(meta.format, 'pt');
  a.eval();
  b.eval();
  scope(() => {
    const x = randn([1, 1, 5, 5]);
    assertClose(noGrad(() => b.forward(x)).toFloat32(), noGrad(() => a.forward(x)).toFloat32(), 0, 0);
  });
  const c = new Sequential(new Conv2d(1, 4, 3));
  assert.throws(() => loadStateDict(c, join(dir, 'a.safetensors')), /missing \[\], unexpected \["1\.bias",.*"1\.weight"\]/);
  const d = new Sequential(new Conv2d(1, 5, 3), new BatchNorm2d(4));
  assert.throws(() => loadStateDict(d, join(dir, 'a.safetensors')), /'0\.weight' has shape \[4,1,3,3\], the module expects \[5,1,3,3\]/);
  for (const m of [a, b, c, d]) m.dispose();
});

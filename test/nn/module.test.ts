// Modules: PyTorch parameter names, default initialisation bounds, batch-norm statistics, state dicts.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { grad, manualSeed, noGrad, randn, scope, tensor, type Tensor } from '../../src/engine/index.js';
import {
  BatchNorm2d,
  Conv2d,
  ConvTranspose2d,
  GroupNorm,
  LeakyReLU,
  Linear,
  loadSafetensors,
  loadStateDict,
  ReLU,
  saveSafetensors,
  saveStateDict,
  Sequential,
  Sigmoid,
  Tanh,
  type SafeTensor,
} from '../../src/nn/index.js';
import { ReferenceAE } from '../../src/models/reference-ae.js';
import { assertClose } from '../helpers/close.js';

test('named parameters and buffers use PyTorch dotted names', () => {
  const model = new ReferenceAE();
  assert.deepEqual(
    model.namedParameters().map(([n]) => n),
    [
      'encoder.0.weight',
      'encoder.0.bias',
      'encoder.2.weight',
      'encoder.2.bias',
      'encoder.4.weight',
      'encoder.4.bias',
      'decoder.0.weight',
      'decoder.0.bias',
      'decoder.2.weight',
      'decoder.2.bias',
      'decoder.4.weight',
      'decoder.4.bias',
    ],
  );
  assert.deepEqual(model.namedParameters()[6]![1].shape, [64, 64, 3, 3]);
  const bn = new Sequential(new Conv2d(1, 2, 3), new BatchNorm2d(2));
  assert.deepEqual(
    bn.namedBuffers().map(([n]) => n),
    ['1.running_mean', '1.running_var', '1.num_batches_tracked'],
  );
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
    assertClose(
      y.toFloat32(),
      [-3, -1, 1, 3].map((v) => v / Math.sqrt(5 + 1e-5)),
      1e-5,
    );
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
    assertClose(
      y.toFloat32(),
      [-3, -1, 1, 3].map((v) => v / Math.sqrt(5 + 1e-5)),
      1e-5,
    );
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

test('weights of another dtype or with NaN/Inf are refused naming the file and tensor, and nothing is half-loaded (issue 20)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'll-sd-'));
  manualSeed(4);
  const a = new Sequential(new Conv2d(1, 2, 3), ReLU(), new Linear(2, 2));
  const file = join(dir, 'good.safetensors');
  saveStateDict(a, file);
  const { tensors } = loadSafetensors(file);
  const write = (name: string, edit: (t: Record<string, SafeTensor>) => void) => {
    const copy: Record<string, SafeTensor> = { ...tensors };
    edit(copy);
    const p = join(dir, name);
    saveSafetensors(p, copy);
    return p;
  };
  // An I32 tensor where the module has float32: refused, not converted or reinterpreted.
  const i32 = write('i32.safetensors', (t) => {
    t['2.weight'] = { dtype: 'I32', shape: [2, 2], data: Int32Array.from([1065353216, 0, 0, 1065353216]) };
  });
  const b = new Sequential(new Conv2d(1, 2, 3), ReLU(), new Linear(2, 2));
  const before = scope(() => b.stateDict().get('0.weight')!.toFloat32());
  assert.throws(
    () => loadStateDict(b, i32),
    (e: Error) =>
      e.message ===
      `${i32}: loadStateDict: '2.weight' is int32, the module's tensor is float32; expected a float32 tensor (values of another dtype are not converted)`,
  );
  // A NaN and an Inf in one weight: refused with the count.
  const w = Float32Array.from(tensors['2.bias']!.data as Float32Array);
  const nan = write('nan.safetensors', (t) => {
    t['2.weight'] = { dtype: 'F32', shape: [2, 2], data: Float32Array.from([NaN, 0, Infinity, 1]) };
    t['2.bias'] = { dtype: 'F32', shape: [2], data: w };
  });
  assert.throws(
    () => loadStateDict(b, nan),
    (e: Error) =>
      e.message ===
      `${nan}: loadStateDict: '2.weight' holds 2 NaN or Inf values of 4; expected finite weights (was the model saved after training diverged?)`,
  );
  // Neither failed load changed the module (0.weight comes first and was valid in both files).
  assertClose(
    scope(() => b.stateDict().get('0.weight')!.toFloat32()),
    before,
    0,
    0,
  );
  // The good file still loads.
  loadStateDict(b, file);
  for (const m of [a, b]) m.dispose();
});

test("Sequential: activations overwrite a fresh layer output in place, with the out-of-place values and gradients; a caller's tensor is never overwritten", () => {
  scope(() => {
    manualSeed(4);
    const net = new Sequential(
      new Conv2d(2, 6, 3, { padding: 1 }),
      ReLU(),
      new BatchNorm2d(6),
      LeakyReLU(0.1),
      new ConvTranspose2d(6, 4, 3, { stride: 2, padding: 1, outputPadding: 1 }),
      Tanh(),
      new GroupNorm(2, 4),
      Sigmoid(),
    );
    const x = randn([3, 2, 5, 5]).requiresGrad_(true);
    const params = net.parameters();
    // The reference: each layer's own out-of-place forward, one after another.
    const chain = (t: Tensor) => net.layers.reduce((h, m) => m.forward(h), t);
    const r = randn([3, 4, 10, 10]);
    for (const training of [true, false]) {
      net.train(training);
      const want = chain(x);
      const got = net.forward(x);
      assert.deepEqual(Array.from(got.toFloat32()), Array.from(want.toFloat32()), `values (training ${training})`);
      const [gWant, gGot] = [want, got].map((y) => grad(y.mul(r).sum(), [x, ...params]));
      gWant.forEach((g, i) => assert.deepEqual(Array.from(gGot[i]!.toFloat32()), Array.from(g!.toFloat32()), `gradient ${i}`));
    }
    // Activations first: the input is the caller's, so it is read, not overwritten.
    const before = Array.from(x.toFloat32());
    noGrad(() => new Sequential(ReLU(), Sigmoid()).forward(x.detach()));
    assert.deepEqual(Array.from(x.toFloat32()), before);
  });
});

// Optimizers: Adam's update against its formula, and Adam, AdamW and SGD fitting a known linear map.
import assert from 'node:assert/strict';
import test from 'node:test';
import { Adam, AdamW, F, manualSeed, randn, scope, SGD, tensor, type Optimizer, type Tensor } from '../../src/engine/index.js';
import { Linear } from '../../src/nn/index.js';
import { assertClose } from '../helpers/close.js';

test('two Adam steps equal the closed-form update', () => {
  scope(() => {
    const p = tensor([1, -2], [2]).requiresGrad_(true);
    const opt = new Adam([p], { lr: 0.1, betas: [0.9, 0.99], eps: 1e-8 });
    const grads = [
      [0.5, -1],
      [0.2, 0.4],
    ];
    const expected = [1, -2];
    const m = [0, 0],
      v = [0, 0];
    grads.forEach((g, k) => {
      p.grad = tensor(g, [2]);
      opt.step();
      const t = k + 1;
      for (let i = 0; i < 2; i++) {
        m[i] = 0.9 * m[i]! + 0.1 * g[i]!;
        v[i] = 0.99 * v[i]! + 0.01 * g[i]! ** 2;
        const mHat = m[i]! / (1 - 0.9 ** t),
          vHat = v[i]! / (1 - 0.99 ** t);
        expected[i] = expected[i]! - (0.1 * mHat) / (Math.sqrt(vHat) + 1e-8);
      }
    });
    assertClose(p.toFloat32(), expected, 1e-5, 1e-6, 'Adam parameters');
    opt.dispose();
  });
});

test('AdamW decays weights decoupled from the gradient', () => {
  scope(() => {
    const p = tensor([2], [1]).requiresGrad_(true);
    const opt = new AdamW([p], { lr: 0.1, weightDecay: 0.5 });
    p.grad = tensor([0], [1]);
    opt.step();
    // Zero gradient: Adam's step is 0, only the decay p *= 1 - lr * wd acts.
    assertClose(p.toFloat32(), [2 * (1 - 0.05)]);
    opt.dispose();
  });
});

test('SGD with momentum matches its recurrence', () => {
  scope(() => {
    const p = tensor([1], [1]).requiresGrad_(true);
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9 });
    p.grad = tensor([1], [1]);
    opt.step(); // buf = 1, p = 0.9
    p.grad = tensor([1], [1]);
    opt.step(); // buf = 1.9, p = 0.71
    assertClose(p.toFloat32(), [0.71]);
    opt.dispose();
  });
});

function fitLinearMap(makeOpt: (params: Tensor[]) => Optimizer, steps: number): number {
  manualSeed(5);
  const trueW = tensor([1.5, -2, 0.5, 3, 0, -1], [2, 3]);
  const trueB = tensor([0.3, -0.7], [2]);
  const layer = new Linear(3, 2);
  const opt = makeOpt(layer.parameters());
  const x = randn([64, 3]);
  const y = F.linear(x, trueW, trueB);
  let loss = Infinity;
  for (let i = 0; i < steps; i++) {
    loss = scope(() => {
      opt.zeroGrad();
      const l = F.mseLoss(layer.forward(x), y);
      l.backward();
      opt.step();
      return l.item();
    });
  }
  assertClose(layer.weight.toFloat32(), trueW.toFloat32(), 0, 2e-2, 'fitted weight');
  assertClose(layer.bias!.toFloat32(), trueB.toFloat32(), 0, 2e-2, 'fitted bias');
  layer.dispose();
  opt.dispose();
  return loss;
}

test('Adam, AdamW and SGD with momentum recover a known linear map', () => {
  scope(() => {
    assert.ok(fitLinearMap((p) => new Adam(p, { lr: 0.05 }), 600) < 1e-4);
    assert.ok(fitLinearMap((p) => new AdamW(p, { lr: 0.05, weightDecay: 0 }), 600) < 1e-4);
    assert.ok(fitLinearMap((p) => new SGD(p, { lr: 0.05, momentum: 0.9 }), 400) < 1e-4);
  });
});

test('optimizer state dict restores the same trajectory', () => {
  scope(() => {
    const run = (restore: boolean) => {
      const p = tensor([1, 2], [2]).requiresGrad_(true);
      let opt = new Adam([p], { lr: 0.1 });
      for (let k = 0; k < 6; k++) {
        if (restore && k === 3) {
          const saved = opt.stateDict();
          const fresh = new Adam([p], { lr: 0.1 });
          fresh.loadStateDict(saved);
          opt.dispose();
          opt = fresh;
        }
        p.grad = tensor([Math.sin(k), Math.cos(k)], [2]);
        opt.step();
      }
      opt.dispose();
      return p.toFloat32();
    };
    assertClose(run(true), run(false), 0, 0, 'resumed vs uninterrupted');
  });
});

// Library calls draw from their own seeded streams: the same seed gives the same result whatever ran
// before (global generator reseeded or advanced), and the call leaves libtorch's global generator
// exactly where it was. Checked for SmoothGrad, TCAV's trained label head, activation maximisation and
// the 'other-case' latent fill.
import assert from 'node:assert/strict';
import test from 'node:test';
import { manualSeed, noGrad, rand, scope, tensor, type Tensor } from '../../src/engine/index.js';
import { Conv2d, ReLU, Sequential } from '../../src/nn/index.js';
import { Module } from '../../src/nn/module.js';
import type { LatentModel } from '../../src/models/types.js';
import { attribute } from '../../src/explain/attribution/attribute.js';
import { activationMaximization } from '../../src/explain/activation-max.js';
import { trainProbe } from '../../src/explain/tcav/label-head.js';
import { fillMaps } from '../../src/explain/ablation/latent-edit.js';

/** Two fixed 1x1 convolutions with a ReLU between them: nonlinear, so noise matters. */
class TinyEncoder extends Module implements LatentModel {
  readonly encoder: Sequential;
  readonly config = {
    kind: 'conv-ae' as const,
    inputShape: [2, 6, 6] as [number, number, number],
    latentMaps: 1,
    latentGrid: [6, 6] as [number, number],
  };
  constructor() {
    super();
    const a = new Conv2d(2, 2, 1, { bias: false });
    const b = new Conv2d(2, 1, 1, { bias: false });
    noGrad(() => {
      a.parameters()[0]!.copy_(tensor([1, -1, -1, 1], [2, 2, 1, 1]));
      b.parameters()[0]!.copy_(tensor([1, 0.5], [1, 2, 1, 1]));
    });
    this.encoder = this.registerModule('encoder', new Sequential(a, ReLU(), b));
  }
  encoderStack = () => this.encoder;
  forward(x: Tensor) {
    return this.encoder.forward(x);
  }
  encode(x: Tensor) {
    return { z: this.encoder.forward(x) };
  }
  decode(z: Tensor) {
    return z;
  }
  reconstruct(x: Tensor) {
    return x;
  }
  paramGroups() {
    return [{ name: 'main', params: this.parameters() }];
  }
  trainStep() {
    return {};
  }
  evalLoss() {
    return {};
  }
}

/**
 * Runs `call` twice after different global histories and once between two draws of a reseeded global
 * stream: returns both results and whether the global stream was left alone.
 */
function underDifferentGlobalState<T>(call: () => T): { first: T; second: T; globalUntouched: boolean } {
  manualSeed(1);
  const first = call();
  manualSeed(2);
  rand([1000]);
  const second = call();
  manualSeed(11);
  const expected = rand([8]).toNumbers();
  manualSeed(11);
  call();
  const after = rand([8]).toNumbers();
  return { first, second, globalUntouched: JSON.stringify(after) === JSON.stringify(expected) };
}

const input = () =>
  tensor(
    Array.from({ length: 3 * 2 * 36 }, (_, i) => Math.sin(i * 0.7)),
    [3, 2, 6, 6],
  );

test('SmoothGrad: same seed, same maps, whatever ran before; global generator untouched', () => {
  scope(() => {
    const model = new TinyEncoder();
    const x = input();
    const r = underDifferentGlobalState(() =>
      Array.from(attribute(model, x, { method: 'smoothgrad', target: { map: 0 }, samples: 4, noise: 0.3, seed: 5 }).heatmaps),
    );
    assert.deepEqual(r.second, r.first);
    assert.ok(r.globalUntouched);
  });
});

test('SmoothGrad maps of batch size 1 and 7 are identical', () => {
  scope(() => {
    const model = new TinyEncoder();
    const x = tensor(
      Array.from({ length: 7 * 2 * 36 }, (_, i) => Math.cos(i * 0.3)),
      [7, 2, 6, 6],
    );
    const opts = { method: 'smoothgrad' as const, target: { map: 0 }, samples: 5, noise: 0.4, seed: 3 };
    const ones = attribute(model, x, { ...opts, batchSize: 1 });
    const sevens = attribute(model, x, { ...opts, batchSize: 7 });
    assert.deepEqual(Array.from(ones.heatmaps), Array.from(sevens.heatmaps));
  });
});

test('TCAV label head: the same seed trains the same probe whatever ran before; global generator untouched', () => {
  scope(() => {
    const n = 40;
    const data = new Float32Array(n * 2 * 2 * 2);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = i % 2;
      for (let j = 0; j < 8; j++) data[i * 8 + j] = Math.sin(i * 1.3 + j) + (j === 0 ? 2 * labels[i]! : 0);
    }
    const maps = { data, shape: [n, 2, 2, 2] as [number, number, number, number] };
    const z = tensor(data.subarray(0, 5 * 8), [5, 2, 2, 2]);
    const r = underDifferentGlobalState(() => {
      const head = trainProbe(maps, labels, { kind: 'mlp', hidden: 4, steps: 20, seed: 7 });
      const logits = scope(() => noGrad(() => head.logits(z).toNumbers()));
      head.dispose();
      return { logits, accuracy: head.heldOutAccuracy };
    });
    assert.deepEqual(r.second, r.first);
    assert.ok(r.globalUntouched);
  });
});

test('activation maximisation: same seed, same image, whatever ran before; global generator untouched', () => {
  scope(() => {
    const model = new TinyEncoder();
    const r = underDifferentGlobalState(() =>
      Array.from(activationMaximization(model, { target: { map: 0 }, inputShape: [2, 6, 6], steps: 12, seed: 4 }).image),
    );
    assert.deepEqual(r.second, r.first);
    assert.ok(r.globalUntouched);
  });
});

test("fillMaps 'other-case': donors from the seed, the same for any kept set; global generator untouched", () => {
  scope(() => {
    const n = 6;
    // Map 0 holds the case index, map 1 ten times it: the filled values name the donor.
    const z = tensor(
      Array.from({ length: n * 2 }, (_, i) => (i % 2 === 0 ? 1 : 10) * Math.floor(i / 2)),
      [n, 2, 1, 1],
    );
    const r = underDifferentGlobalState(() => fillMaps(z, [], 'other-case', undefined, 3).toNumbers());
    assert.deepEqual(r.second, r.first);
    assert.ok(r.globalUntouched);
    const donors = r.first.filter((_, i) => i % 2 === 0);
    assert.deepEqual(
      [...donors].sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5],
      'a permutation of the cases',
    );
    // Keeping map 0 fills map 1 from the same donors.
    const kept = fillMaps(z, [0], 'other-case', undefined, 3).toNumbers();
    assert.deepEqual(
      kept.filter((_, i) => i % 2 === 1),
      donors.map((d) => 10 * d),
    );
    assert.notDeepEqual(fillMaps(z, [], 'other-case', undefined, 4).toNumbers(), r.first);
  });
});

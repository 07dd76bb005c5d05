// SmoothGrad and Grad-CAM with known answers, the method table, and the rule that attribution methods
// draw their randomness from named streams, never from libtorch's global generator.
import assert from 'node:assert/strict';
import test from 'node:test';
import { manualSeed, noGrad, rand, scope, tensor, type Tensor } from '../../src/engine/index.js';
import { Conv2d, ReLU, Sequential } from '../../src/nn/index.js';
import { Module } from '../../src/nn/module.js';
import type { LatentModel } from '../../src/models/types.js';
import { attribute } from '../../src/explain/attribution/attribute.js';
import { ATTRIBUTION_METHOD_NAMES, unavailableReason } from '../../src/explain/attribution/methods.js';
import { assertClose } from '../helpers/close.js';

/** An encoder from fixed 1x1 convolutions (no bias), optionally with a ReLU between them. */
class FixedEncoder extends Module implements LatentModel {
  readonly encoder: Sequential;
  readonly config;
  constructor(layers: { inC: number; outC: number; w: number[] }[], relu: boolean, stack = true) {
    super();
    const convs = layers.map((l) => {
      const conv = new Conv2d(l.inC, l.outC, 1, { bias: false });
      noGrad(() => conv.parameters()[0]!.copy_(tensor(l.w, [l.outC, l.inC, 1, 1])));
      return conv;
    });
    const mods = relu && convs.length === 2 ? [convs[0]!, ReLU(), convs[1]!] : convs;
    this.encoder = this.registerModule('encoder', new Sequential(...mods));
    this.config = {
      kind: 'conv-ae' as const,
      inputShape: [layers[0]!.inC, 8, 8] as [number, number, number],
      latentMaps: layers.at(-1)!.outC,
      latentGrid: [8, 8] as [number, number],
    };
    if (!stack) this.encoderStack = undefined;
  }
  encoderStack?: () => Sequential = () => this.encoder;
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

test('SmoothGrad equals the plain gradient on a linear encoder, whatever the noise', () => {
  scope(() => {
    const model = new FixedEncoder([{ inC: 2, outC: 2, w: [0, 2, 1, -1] }], false);
    manualSeed(3);
    const x = rand([3, 2, 8, 8]);
    const g = attribute(model, x, { method: 'gradient', target: { map: 1 } });
    const sg = attribute(model, x, { method: 'smoothgrad', target: { map: 1 }, samples: 8, noise: 0.5, seed: 4 });
    assertClose(sg.heatmaps, g.heatmaps, 1e-5, 1e-7, 'SmoothGrad vs gradient');
    assert.deepEqual(sg.settings.samples, 8);
  });
});

test('SmoothGrad noise depends on (seed, case) only: batch size does not change it, the seed does', () => {
  scope(() => {
    // Nonlinear (ReLU between the convolutions), so the noise matters.
    const model = new FixedEncoder(
      [
        { inC: 2, outC: 2, w: [1, -1, -1, 1] },
        { inC: 2, outC: 1, w: [1, 0.5] },
      ],
      true,
    );
    manualSeed(5);
    const x = rand([5, 2, 8, 8]).sub(0.5);
    const opts = { method: 'smoothgrad' as const, target: { map: 0 }, samples: 6, noise: 0.3, seed: 9 };
    const whole = attribute(model, x, { ...opts, batchSize: 5 });
    const ones = attribute(model, x, { ...opts, batchSize: 1 });
    const twos = attribute(model, x, { ...opts, batchSize: 2 });
    assert.deepEqual(Array.from(ones.heatmaps), Array.from(whole.heatmaps));
    assert.deepEqual(Array.from(twos.heatmaps), Array.from(whole.heatmaps));
    const other = attribute(model, x, { ...opts, seed: 10 });
    assert.notDeepEqual(Array.from(other.heatmaps), Array.from(whole.heatmaps));
  });
});

test("attribution methods leave libtorch's global random state alone", () => {
  scope(() => {
    const model = new FixedEncoder(
      [
        { inC: 2, outC: 2, w: [1, -1, -1, 1] },
        { inC: 2, outC: 1, w: [1, 0.5] },
      ],
      true,
    );
    const x = tensor(
      Array.from({ length: 2 * 2 * 64 }, (_, i) => Math.sin(i)),
      [2, 2, 8, 8],
    );
    manualSeed(11);
    const expected = rand([4]).toFloat32();
    manualSeed(11);
    for (const method of ATTRIBUTION_METHOD_NAMES) attribute(model, x, { method, target: { map: 0 }, samples: 3 });
    assert.deepEqual(Array.from(rand([4]).toFloat32()), Array.from(expected));
  });
});

test('Grad-CAM lights the region that drives the map and nothing else', () => {
  scope(() => {
    // Layer 1 (the ReLU) holds relu(x) and relu(-x); the map reads the first: the gradient weights it
    // by 1 / 64 and the second by 0, so the CAM is relu(x) / 64: the bright square, exactly.
    const model = new FixedEncoder(
      [
        { inC: 1, outC: 2, w: [1, -1] },
        { inC: 2, outC: 1, w: [1, 0] },
      ],
      true,
    );
    const img = new Float32Array(64);
    for (let r = 2; r < 5; r++) for (let c = 4; c < 7; c++) img[r * 8 + c] = 1;
    const x = tensor(img, [1, 1, 8, 8]);
    const cam = attribute(model, x, { method: 'grad-cam', target: { map: 0 } });
    assert.equal(cam.settings.layer, 1);
    assert.equal(cam.channelShare, null, 'Grad-CAM is spatial only: no channel share');
    assertClose(
      cam.heatmaps,
      Array.from(img, (v) => v / 64),
      1e-4,
      1e-6,
      'CAM',
    );
  });
});

test('the method table: every method runs on a capable model; Grad-CAM is refused by one without an encoder stack', () => {
  scope(() => {
    const model = new FixedEncoder(
      [
        { inC: 2, outC: 2, w: [1, -1, -1, 1] },
        { inC: 2, outC: 1, w: [1, 0.5] },
      ],
      true,
    );
    const x = tensor(
      Array.from({ length: 2 * 2 * 64 }, (_, i) => Math.cos(i)),
      [2, 2, 8, 8],
    );
    for (const method of ATTRIBUTION_METHOD_NAMES) {
      const r = attribute(model, x, { method, target: { map: 0 }, samples: 2, steps: 4 });
      assert.equal(r.heatmaps.length, 2 * 2 * 64, method);
      assert.ok(r.heatmaps.every(Number.isFinite), method);
    }
    const bare = new FixedEncoder([{ inC: 2, outC: 2, w: [0, 2, 1, -1] }], false, false);
    assert.match(unavailableReason(bare, 'grad-cam') ?? '', /layer stack/);
    assert.equal(unavailableReason(bare, 'integrated-gradients'), null);
    assert.throws(() => attribute(bare, x, { method: 'grad-cam', target: { map: 0 } }), /layer stack/);
  });
});

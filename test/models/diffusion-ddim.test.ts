// DDIM sampling and inversion on noise predictors whose answer is known (src/models/diffusion/ddim.ts):
// the exact predictor of a one-image data set, the zero predictor, and determinism with eta 0 and with
// eta > 0 under explicit generators (the global random state is never read).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generator, manualSeed, noGrad, rand, randn, scope, setNumThreads, tensor, type Tensor } from '../../src/engine/index.js';
import { ConvAE } from '../../src/models/conv-ae.js';
import { ddimDecode, ddimInvert, type EpsModel } from '../../src/models/diffusion/ddim.js';
import { DiffusionAE } from '../../src/models/diffusion/diffusion-ae.js';
import { makeSchedule } from '../../src/models/diffusion/schedule.js';
import { atMost } from '../helpers/margin.js';

setNumThreads(1);
const schedule = makeSchedule();
const maxAbs = (a: Tensor, b: Tensor) => scope(() => a.sub(b).abs().max().item());
const image = () =>
  tensor(
    Float32Array.from({ length: 2 * 8 * 8 }, (_, i) => 0.9 * Math.sin(i * 0.37)),
    [1, 2, 8, 8],
  );

test('the exact predictor of a one-image data set decodes any x_T to that image, at 10, 20 and 50 steps', () => {
  scope(() =>
    noGrad(() => {
      const xStar = image();
      // eps*(x_t, t) = (x_t - sqrt(ab_t) x*) / sqrt(1 - ab_t): the noise in x_t when x_0 can only be x*.
      const oracle: EpsModel = (x, t) => x.sub(xStar.mul(Math.sqrt(schedule.alphaBar[t]!))).div(Math.sqrt(1 - schedule.alphaBar[t]!));
      for (const steps of [10, 20, 50]) {
        const xT = randn([1, 2, 8, 8], { generator: generator(steps) });
        // float32 rounding is amplified by 1 / sqrt(alpha-bar_T) = 157 at the first step: 1e-3 allows for it.
        atMost(maxAbs(ddimDecode(oracle, xT, schedule, { steps }), xStar), 1e-3, `oracle decoding, ${steps} steps`);
        atMost(
          maxAbs(ddimDecode(oracle, xT, schedule, { steps, clip: false }), xStar),
          1e-3,
          `oracle decoding without clipping, ${steps} steps`,
        );
      }
    }),
  );
});

test('inversion then decoding is the identity for the zero predictor (x_T = sqrt(ab_T / ab_0) x_0)', () => {
  scope(() =>
    noGrad(() => {
      const x0 = image();
      const zero: EpsModel = (x) => x.mul(0);
      const xT = ddimInvert(zero, x0, schedule, { steps: 20 });
      const expected = x0.mul(Math.sqrt(schedule.alphaBar[999]! / schedule.alphaBar[0]!));
      atMost(maxAbs(xT, expected), 1e-6, 'zero-predictor inversion');
      atMost(maxAbs(ddimDecode(zero, xT, schedule, { steps: 20 }), x0), 5e-4, 'zero-predictor round trip');
    }),
  );
});

// A fixed nonlinear predictor: decodings differ from their input, and depend on nothing but it.
const bent: EpsModel = (x, t) =>
  x
    .mul(0.8)
    .tanh()
    .mul(1 + t / 2000);

test('eta 0 is deterministic; eta > 0 depends only on its generator and leaves the global random state alone', () => {
  scope(() =>
    noGrad(() => {
      const xT = randn([2, 2, 8, 8], { generator: generator(1) });
      const a = ddimDecode(bent, xT, schedule, { steps: 10 });
      const b = ddimDecode(bent, xT, schedule, { steps: 10 });
      assert.deepEqual(a.toFloat32(), b.toFloat32(), 'eta 0: bitwise equal');
      const inv1 = ddimInvert(bent, a, schedule, { steps: 10 }),
        inv2 = ddimInvert(bent, a, schedule, { steps: 10 });
      assert.deepEqual(inv1.toFloat32(), inv2.toFloat32(), 'inversion: bitwise equal');

      manualSeed(5);
      const globalBefore = rand([4]).toFloat32();
      manualSeed(5);
      const s1 = ddimDecode(bent, xT, schedule, { steps: 10, eta: 0.5, generator: generator(7) });
      const globalAfter = rand([4]).toFloat32();
      assert.deepEqual(globalAfter, globalBefore, 'the global generator was not advanced');
      const s2 = ddimDecode(bent, xT, schedule, { steps: 10, eta: 0.5, generator: generator(7) });
      const s3 = ddimDecode(bent, xT, schedule, { steps: 10, eta: 0.5, generator: generator(8) });
      assert.deepEqual(s1.toFloat32(), s2.toFloat32(), 'same generator seed: same sample');
      assert.ok(maxAbs(s1, s3) > 1e-3, 'another generator seed: another sample');
      assert.ok(maxAbs(s1, a) > 1e-3, 'eta 0.5 differs from eta 0');
      assert.throws(() => ddimDecode(bent, xT, schedule, { steps: 10, eta: 0.5 }), /generator/);
    }),
  );
});

test("v-prediction's noise is sqrt(ab) v + sqrt(1 - ab) x_t: an untrained (zero-output) v network predicts sqrt(1 - ab) x_t", () => {
  scope(() =>
    noGrad(() => {
      const enc = new ConvAE({ inputShape: [1, 28, 28], latentMaps: 2, latentGrid: [7, 7], width: 4 });
      const model = new DiffusionAE(enc, { width: 4, mults: [1], prediction: 'v' });
      const x = randn([2, 1, 28, 28], { generator: generator(3) });
      const eps = model.epsModel(enc.encode(x).z);
      for (const t of [0, 500, 999]) {
        atMost(maxAbs(eps(x, t), x.mul(Math.sqrt(1 - model.schedule.alphaBar[t]!))), 1e-6, `v network's eps at t = ${t}`);
      }
      assert.throws(() => new DiffusionAE(enc, { prediction: 'x0' as 'v' }), /eps or v/);
      model.dispose();
    }),
  );
});

// The health check with known answers: an untrained model (1 step at lr 1e-9) reconstructs worse than the
// mean image and fails; a trained ConvAE beats the mean image by more than the 1 dB margin and passes;
// a model whose latents are constant has 0 active units and fails; a deterministic model's active units
// do not depend on its latent scale; the margin is applied as documented.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualSeed, setNumThreads } from '../../src/engine/runtime.js';
import type { Tensor } from '../../src/engine/tensor.js';
import { createModel } from '../../src/models/registry.js';
import type { Encoding, LatentModel } from '../../src/models/types.js';
import { checkHealth, HEALTH_MARGIN_DB, judge, readHealth } from '../../src/train/health.js';
import { trainingSplits, trainModel } from '../../src/train/trainer.js';
import { generatePhantoms } from '../../src/data/phantom.js';
import { atLeast, atMost } from '../helpers/margin.js';

setNumThreads(1); // test files run in parallel processes (see tiny-model.ts)

// 28 x 28 one-channel phantoms in 0..1 (the registry's models take 28 px and up), phantom splits.
const data = generatePhantoms({ n: 240, size: 28, seed: 4, channels: ['gray'], lesionChannels: ['gray'], distractorChannels: [] });
for (let i = 0; i < data.images.length; i++) data.images[i] = Math.min(1, Math.max(0, data.images[i]!));
const splits = trainingSplits(data, 0);
const onVal = { train: splits.train, eval: splits.val, evalSplit: 'val' as const };
const convAe = (seed = 1) => {
  manualSeed(seed);
  return createModel('conv-ae', { inputShape: [1, 28, 28], latentMaps: 4, width: 8 });
};

test('an untrained model (1 step at lr 1e-9) fails the gate and health.json says why', async () => {
  const out = mkdtempSync(join(tmpdir(), 'll-health-'));
  const model = convAe();
  try {
    const r = await trainModel(model, data, { steps: 1, lr: 1e-9, batchSize: 16, out, progress: false });
    const h = r.health!;
    assert.ok(existsSync(join(out, 'health.json')));
    assert.deepEqual(readHealth(out), h);
    assert.equal(h.passed, false);
    assert.equal(h.weights, 'model.safetensors');
    assert.equal(h.step, 1);
    assert.equal(h.cases.split, 'val');
    assert.equal(h.cases.count, splits.val.length);
    // Untrained sigmoid outputs sit near 0.5; the mean image is far closer to the phantoms.
    atMost(h.model.psnr, h.baseline.psnr, 'untrained model PSNR against the mean-image baseline (dB)');
    assert.match(
      h.warning!,
      /^WARNING: this model does not reconstruct better than the mean image \(PSNR \d+\.\d dB vs \d+\.\d dB baseline\).*analyses of its latents describe noise$/,
    );
    assert.ok(h.reasons.some((s) => /below the mean-image baseline/.test(s)));
  } finally {
    model.dispose();
    rmSync(out, { recursive: true, force: true });
  }
});

test('a trained ConvAE passes: PSNR more than 1 dB above the mean image, active units', async () => {
  const model = convAe();
  try {
    const r = await trainModel(model, data, { steps: 300, lr: 5e-3, batchSize: 16, progress: false, health: true });
    const h = r.health!;
    atLeast(h.model.psnr, h.baseline.psnr + HEALTH_MARGIN_DB, 'trained ConvAE PSNR against the mean-image baseline + 1 dB');
    assert.equal(h.passed, true, h.reasons.join('; '));
    assert.equal(h.warning, null);
    assert.ok(h.activeUnits.count >= 1 && h.activeUnits.count <= 4);
    assert.equal(h.activeUnits.thresholdKind, 'relative');
    // The baseline is the training mean's MSE on the same cases: recompute it by hand.
    const per = 28 * 28;
    const mean = new Float64Array(per);
    for (const i of splits.train) for (let p = 0; p < per; p++) mean[p] += data.images[i * per + p]! / splits.train.length;
    let sq = 0;
    for (const i of splits.val) for (let p = 0; p < per; p++) sq += (data.images[i * per + p]! - mean[p]!) ** 2;
    assert.ok(Math.abs(h.baseline.mse - sq / (splits.val.length * per)) < 1e-9);

    // The same model with its latents scaled by 1e-3 (decoder undoing it): same reconstruction, same active units.
    const scaled: LatentModel = {
      ...model,
      config: model.config,
      encode: (x: Tensor): Encoding => ({ z: model.encode(x).z.mul(1e-3) }),
      decode: (z: Tensor) => model.decode(z.mul(1e3)),
      train: (on?: boolean) => model.train(on),
      eval: () => model.eval(),
    };
    const hs = checkHealth(scaled, data, onVal);
    assert.equal(hs.activeUnits.count, h.activeUnits.count);
    assert.ok(Math.abs(hs.model.psnr - h.model.psnr) < 0.01);
    assert.equal(hs.passed, true);
  } finally {
    model.dispose();
  }
});

test('constant latents: 0 active units, and the model fails', () => {
  const model = convAe(2);
  try {
    const constant: LatentModel = {
      ...model,
      config: model.config,
      encode: (x: Tensor): Encoding => {
        const z = model.encode(x).z;
        return { z: z.mul(0).add(0.7) };
      },
      decode: (z: Tensor) => model.decode(z),
      train: (on?: boolean) => model.train(on),
      eval: () => model.eval(),
    };
    const h = checkHealth(constant, data, onVal);
    assert.equal(h.activeUnits.count, 0);
    assert.equal(h.activeUnits.cells.active, 0);
    assert.equal(h.activeUnits.of, 4);
    assert.ok(h.activeUnits.variance.every((v) => v < 1e-10));
    assert.equal(h.passed, false);
    assert.ok(h.reasons.some((s) => /^no active units/.test(s)));
    assert.match(h.warning!, /has no active latent units \(0 of 4\)/);
  } finally {
    model.dispose();
  }
});

test('the gate: PSNR at least 1 dB above the baseline, and at least one active unit', () => {
  const au = (count: number) => ({
    count,
    of: 8,
    cells: { active: count, of: 8 },
    threshold: 0.01,
    thresholdKind: 'absolute' as const,
    variance: [],
  });
  const rec = (psnr: number, base: number, active = 3) => ({
    model: { mse: 10 ** (-psnr / 10), psnr },
    baseline: { mse: 10 ** (-base / 10), psnr: base, what: '' },
    marginDb: HEALTH_MARGIN_DB,
    activeUnits: au(active),
  });
  assert.deepEqual(judge(rec(23.8, 22.7)), { reasons: [], warning: null });
  const near = judge(rec(23.5, 22.7));
  assert.equal(near.reasons.length, 1);
  assert.match(near.warning!, /does not reconstruct clearly better than the mean image \(PSNR 23\.5 dB vs 22\.7 dB baseline\)/);
  assert.equal(
    judge(rec(12.8, 13.1)).warning,
    'WARNING: this model does not reconstruct better than the mean image (PSNR 12.8 dB vs 13.1 dB baseline); analyses of its latents describe noise',
  );
  const dead = judge(rec(30, 22.7, 0));
  assert.equal(dead.reasons.length, 1);
  assert.match(dead.warning!, /^WARNING: this model has no active latent units \(0 of 8\)/);
  assert.equal(judge({ ...rec(30, 22.7), model: { mse: NaN, psnr: NaN } }).reasons.length, 1);
  // A diffusion decoder on a frozen encoder checked in its own run: the failure is the decoder's.
  const decoder = judge({ ...rec(8.3, 21.3), frozenEncoder: true });
  assert.equal(decoder.reasons.length, 1);
  assert.match(
    decoder.warning!,
    /PSNR 8\.3 dB vs 21\.3 dB baseline\); its encoder is the frozen one .* analyses of the latents \(rank, attribution, TCAV\) stand, but those that decode them .* describe this decoder's failure$/,
  );
  assert.doesNotMatch(decoder.warning!, /describe noise/);
  assert.match(
    judge({ ...rec(8.3, 21.3, 0), frozenEncoder: true }).warning!,
    /analyses of its latents describe noise$/,
    'no active units: the latents themselves are in doubt',
  );
  // The encoder's own run vouches for its latents only if it passed its check.
  const vouched = judge({ ...rec(8.3, 21.3), frozenEncoder: true, encoderRun: { dir: '/runs/enc', passed: true } });
  assert.equal(vouched.warning, decoder.warning);
  assert.match(
    judge({ ...rec(8.3, 21.3), frozenEncoder: true, encoderRun: { dir: '/runs/enc', passed: false } }).warning!,
    /its frozen encoder comes from \/runs\/enc, which failed its own health check, so analyses of its latents describe noise$/,
  );
  assert.match(
    judge({ ...rec(8.3, 21.3), frozenEncoder: true, encoderRun: { dir: '/runs/enc', passed: null } }).warning!,
    /which has no health record, so analyses of its latents describe noise$/,
  );
});

// Early warnings of a failing run (issue 15, item 4), in the events and in train.jsonl, not only by the
// health gate at the end: pixels outside the 0..1 a sigmoid output reaches, before the first step; and a
// validation PSNR still below the mean-image baseline halfway through. A healthy run that starts below
// the baseline (as most real runs do in their first epoch) is not warned about.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualSeed } from '../../src/engine/runtime.js';
import { readTrainLog } from '../../src/train/jsonl-log.js';
import { meanImageBaseline } from '../../src/train/health.js';
import { trainingSplits, trainModel, type TrainEvent } from '../../src/train/trainer.js';
import { TinyAE, tinyPhantoms } from './tiny-model.js';

test('raw intensities: the pixel range before the first step, then below the baseline halfway, once each', async () => {
  const clean = tinyPhantoms(120, 2);
  const raw = { ...clean, images: clean.images.map((v) => 1000 + 2000 * v) };
  const out = mkdtempSync(join(tmpdir(), 'latentlens-baseline-'));
  try {
    manualSeed(1);
    const events: TrainEvent[] = [];
    await trainModel(new TinyAE(), raw, { epochs: 2, batchSize: 16, lr: 1e-2, seed: 3, progress: false, out }, (e) => events.push(e));
    const warnings = events.filter((e) => e.type === 'warning');
    assert.deepEqual(
      warnings.map((w) => [w.kind, w.step]),
      [
        ['pixel-range', 0],
        ['below-baseline', 6],
      ],
    );
    const [range, below] = warnings;
    assert.ok(range!.kind === 'pixel-range' && range!.min >= 1000 && range!.max <= 3000 && range!.outside === 1);
    // Every pixel at least 999 above 1: the ceiling is below -59 dB.
    assert.ok(range!.ceilingPsnr < -59 && range!.ceilingPsnr < range!.baselinePsnr, JSON.stringify(range));
    assert.match(
      range!.message,
      /^training pixels span 1\d{3}(\.\d+)? to [23]\d{3}(\.\d+)? \(100% outside 0\.\.1\).*sigmoid.*cannot pass -\d+\.\d dB/,
    );
    assert.ok(below!.kind === 'below-baseline' && below!.epoch === 0 && below!.psnr < below!.baselinePsnr);
    assert.match(
      below!.message,
      /^epoch 1 \(step 6 of 12\): validation PSNR -?\d+\.\d\d dB is below the mean-image baseline's -?\d+\.\d\d dB .*norm=percentile/,
    );
    const epoch0 = events.find((e) => e.type === 'epoch')!;
    assert.equal(epoch0.type === 'epoch' && epoch0.val!.psnr, below!.psnr);
    assert.deepEqual(
      readTrainLog(join(out, 'train.jsonl'))
        .filter((l) => l.type === 'warning')
        .map((l) => (l as { kind?: string }).kind),
      ['pixel-range', 'below-baseline'],
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('a healthy run below the baseline after its first epoch but above it halfway gets no warning', async () => {
  const data = tinyPhantoms(120, 2);
  const out = mkdtempSync(join(tmpdir(), 'latentlens-baseline-'));
  try {
    manualSeed(1);
    const events: TrainEvent[] = [];
    await trainModel(new TinyAE(), data, { epochs: 40, batchSize: 16, lr: 1e-2, seed: 3, progress: false, out }, (e) => events.push(e));
    const epochs = events.filter((e) => e.type === 'epoch');
    const base = meanImageBaseline(data, trainingSplits(data, 3).train, trainingSplits(data, 3).val).psnr;
    // What the old first-epoch check saw, and what the halfway check sees (epoch 20 of 40). The tiny
    // phantoms' mean image is a strong predictor (about 23 dB), so this model passes it late.
    assert.ok(epochs[0]!.val!.psnr < base - 0.5, `first epoch ${epochs[0]!.val!.psnr} dB against the baseline ${base} dB`);
    assert.ok(epochs[19]!.val!.psnr > base + 0.5, `halfway ${epochs[19]!.val!.psnr} dB against the baseline ${base} dB`);
    assert.deepEqual(
      events.filter((e) => e.type === 'warning'),
      [],
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('pixels a little outside 0..1 (a tenth of the mean image error or less) are not warned about', async () => {
  const clean = tinyPhantoms(120, 2);
  // 2% of the pixels 0.05 above 1: an error of 5e-5, far below the mean image's.
  const images = clean.images.map((v, i) => (i % 50 === 0 ? 1.05 : v));
  const out = mkdtempSync(join(tmpdir(), 'latentlens-baseline-'));
  try {
    manualSeed(1);
    const events: TrainEvent[] = [];
    await trainModel(new TinyAE(), { ...clean, images }, { epochs: 1, batchSize: 16, lr: 1e-2, seed: 3, progress: false, out }, (e) =>
      events.push(e),
    );
    assert.deepEqual(
      events.filter((e) => e.type === 'warning' && e.kind === 'pixel-range'),
      [],
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('meanImageBaseline: the MSE of predicting every case by the training mean', () => {
  const ds = tinyPhantoms(10, 1);
  const per = ds.images.length / ds.shape[0];
  const b = meanImageBaseline(ds, [0, 1], [2]);
  let sq = 0;
  for (let p = 0; p < per; p++) sq += (ds.images[2 * per + p]! - (ds.images[p]! + ds.images[per + p]!) / 2) ** 2;
  assert.ok(Math.abs(b.mse - sq / per) < 1e-9);
  assert.ok(Math.abs(b.psnr - -10 * Math.log10(b.mse)) < 1e-9);
});

// The first epoch's validation PSNR against the mean-image baseline (issue 15, item 4): a run on raw
// intensities (far outside 0..1, which a sigmoid output cannot reach) is told after one epoch, in the
// events and in train.jsonl, not only by the health gate at the end.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualSeed } from '../../src/engine/runtime.js';
import { readTrainLog } from '../../src/train/jsonl-log.js';
import { meanImageBaseline } from '../../src/train/health.js';
import { trainModel, type TrainEvent } from '../../src/train/trainer.js';
import { TinyAE, tinyPhantoms } from './tiny-model.js';

test('a first epoch below the mean-image baseline is warned about once, with both PSNRs', async () => {
  const clean = tinyPhantoms(120, 2);
  const raw = { ...clean, images: clean.images.map((v) => 1000 + 2000 * v) };
  const out = mkdtempSync(join(tmpdir(), 'latentlens-baseline-'));
  try {
    manualSeed(1);
    const events: TrainEvent[] = [];
    await trainModel(new TinyAE(), raw, { epochs: 2, batchSize: 16, lr: 1e-2, seed: 3, progress: false, out }, (e) => events.push(e));
    const warnings = events.filter((e) => e.type === 'warning');
    assert.equal(warnings.length, 1, 'first epoch only');
    const w = warnings[0]!;
    assert.equal(w.kind, 'below-baseline');
    assert.equal(w.epoch, 0);
    assert.ok(w.psnr < w.baselinePsnr);
    assert.match(w.message, /^epoch 1: validation PSNR -?\d+\.\d\d dB is below the mean-image baseline's -?\d+\.\d\d dB .*norm=percentile/);
    const epoch0 = events.find((e) => e.type === 'epoch')!;
    assert.equal(epoch0.type === 'epoch' && epoch0.val!.psnr, w.psnr);
    assert.deepEqual(
      readTrainLog(join(out, 'train.jsonl'))
        .filter((l) => l.type === 'warning')
        .map((l) => (l as { kind?: string }).kind),
      ['below-baseline'],
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

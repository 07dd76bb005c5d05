import assert from 'node:assert/strict';
import { test } from 'node:test';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualSeed } from '../../src/engine/runtime.js';
import { trainModel } from '../../src/train/trainer.js';
import { readTrainLog } from '../../src/train/jsonl-log.js';
import { TinyAE, tinyPhantoms } from './tiny-model.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'latentlens-train-'));

test('loss falls on phantoms, and the run folder holds config, log, checkpoints and weights', async () => {
  const out = tmp();
  try {
    manualSeed(0);
    const model = new TinyAE();
    const data = tinyPhantoms(240);
    const events: string[] = [];
    const r = await trainModel(
      model,
      data,
      { out, epochs: 6, batchSize: 16, lr: 3e-3, checkpointEvery: 20, seed: 3, progress: false },
      (e) => events.push(e.type),
    );
    assert.equal(r.stopReason, 'completed');
    assert.equal(r.history.length, 6);
    assert.equal(model.training, false, 'the trained model is handed back in eval mode');
    const first = r.history[0]!.train.loss!,
      last = r.history[5]!.train.loss!;
    assert.ok(last < first * 0.6, `training loss ${first} -> ${last} should fall by 40%`);
    assert.ok(r.history[5]!.val!.mse < r.history[0]!.val!.mse, 'validation MSE falls');
    assert.ok(r.finalVal!.psnr > 10 && r.finalVal!.ssim > 0 && r.finalVal!.ssim < 1);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    assert.equal(config.seed, 3);
    assert.equal(config.train.batchSize, 16);
    assert.equal(config.train.optimizer, 'adam');
    assert.ok(config.versions.libtorch && config.versions.node.startsWith('v') && config.versions.latentlens !== 'unknown');
    assert.deepEqual(config.model.latentGrid, [4, 4]);
    const stepsPerEpoch = Math.ceil(data.splits!.train.length / 16);
    const log = readTrainLog(join(out, 'train.jsonl'));
    assert.equal(log.filter((l) => l.type === 'step').length, 6 * stepsPerEpoch);
    assert.equal(log.filter((l) => l.type === 'epoch').length, 6);
    assert.ok(existsSync(join(out, 'model.safetensors')));
    const ck = readdirSync(join(out, 'checkpoints')).sort();
    assert.ok(!ck.some((n) => n.startsWith('.')), `no temp leftovers: ${ck}`);
    assert.equal(ck.filter((n) => n.startsWith('step-')).length, 3, 'keeps 3 checkpoints');
    const latest = JSON.parse(readFileSync(join(out, 'checkpoints', 'latest.json'), 'utf8'));
    assert.equal(latest.step, 6 * stepsPerEpoch);
    assert.deepEqual(readdirSync(join(out, 'checkpoints', latest.dir)).sort(), [
      'model.safetensors',
      'optimizer.safetensors',
      'state.json',
    ]);
    assert.equal(events[0], 'start');
    assert.equal(events[events.length - 1], 'stop');
    model.dispose();
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('a run folder that already holds a run is refused without resume', async () => {
  const out = tmp();
  try {
    const data = tinyPhantoms(60);
    const m = new TinyAE();
    await trainModel(m, data, { out, steps: 2, batchSize: 16, progress: false });
    await assert.rejects(trainModel(m, data, { out, steps: 2, batchSize: 16, progress: false }), /already holds a run/);
    m.dispose();
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('resuming a finished run changes nothing: same weights, same log, same stop reason', async () => {
  const out = tmp();
  try {
    manualSeed(0);
    const data = tinyPhantoms(60);
    const m = new TinyAE();
    const r1 = await trainModel(m, data, { out, epochs: 4, batchSize: 16, lr: 1e-9, patience: 1, minDelta: 1, progress: false });
    assert.equal(r1.stopReason, 'early-stopping');
    const weights = readFileSync(join(out, 'model.safetensors'));
    const r2 = await trainModel(m, data, {
      out,
      epochs: 4,
      batchSize: 16,
      lr: 1e-9,
      patience: 1,
      minDelta: 1,
      progress: false,
      resume: true,
    });
    assert.equal(r2.stopReason, 'early-stopping');
    assert.equal(r2.steps, r1.steps);
    assert.equal(r2.history.length, 2);
    assert.ok(readFileSync(join(out, 'model.safetensors')).equals(weights));
    assert.equal(readTrainLog(join(out, 'train.jsonl')).filter((l) => l.type === 'epoch').length, 2);
    m.dispose();
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

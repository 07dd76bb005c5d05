// Runs that stop early: a loss that turns NaN/Inf, and early stopping on the validation loss.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualSeed } from '../../src/engine/runtime.js';
import { trainModel } from '../../src/train/trainer.js';
import { readTrainLog } from '../../src/train/jsonl-log.js';
import { loadTensorMap } from '../../src/train/checkpoint.js';
import { scope } from '../../src/engine/scope.js';
import { NonFiniteLossError } from '../../src/train/state.js';
import { TinyAE, tinyPhantoms } from './tiny-model.js';

const data = tinyPhantoms(120, 2);

for (const poison of [NaN, Infinity]) {
  test(`a loss that turns ${poison} stops the run with the last good checkpoint intact`, async () => {
    const out = mkdtempSync(join(tmpdir(), 'latentlens-nan-'));
    const ref = mkdtempSync(join(tmpdir(), 'latentlens-ref-'));
    try {
      const opts = { batchSize: 16, lr: 1e-2, checkpointEvery: 5, seed: 4, progress: false };
      manualSeed(1);
      const m = new TinyAE(13, poison);
      const err = await trainModel(m, data, { ...opts, out, epochs: 5 }).then(
        () => null,
        (e: unknown) => e,
      );
      assert.ok(err instanceof NonFiniteLossError, `expected NonFiniteLossError, got ${String(err)}`);
      assert.equal(err.step, 13);
      assert.equal(err.term, 'loss');
      assert.match(err.message, new RegExp(`loss term 'loss' became ${poison} at step 13.*step-00000010`));
      assert.equal(JSON.parse(readFileSync(join(out, 'checkpoints', 'latest.json'), 'utf8')).step, 10);
      assert.ok(!existsSync(join(out, 'model.safetensors')), 'no final weights from a diverged run');
      assert.ok(!readdirSync(join(out, 'checkpoints')).some((n) => n.startsWith('.')), 'no temp leftovers');
      const log = readTrainLog(join(out, 'train.jsonl'));
      assert.equal(log[log.length - 1]!.type, 'error');
      assert.equal(log.filter((l) => l.type === 'step').length, 12, 'the bad step is not logged as a step');
      // The checkpoint holds the weights of step 10 exactly: those of a clean 10-step run.
      manualSeed(1);
      const clean = new TinyAE();
      await trainModel(clean, data, { ...opts, out: ref, steps: 10 });
      clean.dispose();
      scope(() => {
        const got = loadTensorMap(join(out, 'checkpoints', 'step-00000010', 'model.safetensors')).tensors;
        const want = loadTensorMap(join(ref, 'model.safetensors')).tensors;
        for (const [name, t] of want) {
          assert.equal(got.get(name)!.sub(t).abs().max().item(), 0, `${name} equals the clean run's`);
          assert.ok(Number.isFinite(got.get(name)!.sum().item()));
        }
      });
      m.dispose();
    } finally {
      rmSync(out, { recursive: true, force: true });
      rmSync(ref, { recursive: true, force: true });
    }
  });
}

test('early stopping ends the run after `patience` epochs without a minDelta improvement', async () => {
  manualSeed(0);
  const m = new TinyAE();
  // An lr this small cannot move the validation loss by minDelta: epoch 0 sets the best, 1 and 2 fail.
  const r = await trainModel(m, data, { epochs: 20, batchSize: 16, lr: 1e-9, patience: 2, minDelta: 1e-3, progress: false });
  assert.equal(r.stopReason, 'early-stopping');
  assert.equal(r.history.length, 3);
  assert.deepEqual(
    r.history.map((h) => h.improved),
    [true, false, false],
  );
  assert.equal(r.best!.epoch, 0);
  // With a working lr the same patience lets training run on while it improves.
  manualSeed(0);
  const m2 = new TinyAE();
  const r2 = await trainModel(m2, data, { epochs: 4, batchSize: 16, lr: 5e-3, patience: 2, minDelta: 1e-4, progress: false });
  assert.equal(r2.stopReason, 'completed');
  assert.equal(r2.history.length, 4);
  m.dispose();
  m2.dispose();
});

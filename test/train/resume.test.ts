// Resume reaches the weights of an uninterrupted run: after a crash (from a periodic checkpoint, also one
// taken before an epoch's validation), after an abort (Ctrl-C path), and after a kill during the final
// save (the run had finished: its final files are written from the last checkpoint, nothing is trained).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualSeed } from '../../src/engine/runtime.js';
import { trainModel, type TrainEvent } from '../../src/train/trainer.js';
import { readTrainLog } from '../../src/train/jsonl-log.js';
import type { TrainOptions } from '../../src/train/options.js';
import { TinyAE, tinyPhantoms } from './tiny-model.js';

const data = tinyPhantoms(200, 5); // 140 training images: 9 steps per epoch at batch 16
const base: TrainOptions = {
  steps: 30,
  batchSize: 16,
  lr: 5e-3,
  schedule: 'cosine',
  warmupSteps: 4,
  clipGradNorm: 0.5,
  checkpointEvery: 9,
  seed: 11,
  progress: false,
};
const fresh = (initSeed: number) => {
  manualSeed(initSeed);
  return new TinyAE(Infinity, NaN, 0.05);
};

async function uninterrupted(out: string): Promise<void> {
  const m = fresh(7);
  await trainModel(m, data, { ...base, out });
  m.dispose();
}

function stepLines(out: string) {
  return readTrainLog(join(out, 'train.jsonl'))
    .filter((l) => l.type === 'step' || l.type === 'epoch')
    .map((l) => JSON.stringify({ ...l, imagesPerSec: 0, seconds: 0 }));
}

test('resume after a crash gives bitwise the weights and log of an uninterrupted run', async () => {
  const a = mkdtempSync(join(tmpdir(), 'latentlens-a-')),
    b = mkdtempSync(join(tmpdir(), 'latentlens-b-'));
  try {
    await uninterrupted(a);
    // Crash right after step 12 is logged: the latest checkpoint is step 9, the last batch of epoch 0,
    // taken before that epoch's validation, so the resume must validate first.
    const crash = (e: TrainEvent) => {
      if (e.type === 'step' && e.step === 12) throw new Error('simulated crash');
    };
    const m1 = fresh(7);
    await assert.rejects(trainModel(m1, data, { ...base, out: b }, crash), /simulated crash/);
    m1.dispose();
    assert.equal(JSON.parse(readFileSync(join(b, 'checkpoints', 'latest.json'), 'utf8')).step, 9);
    const m2 = fresh(99); // other initial weights: everything must come from the checkpoint
    const r = await trainModel(m2, data, { ...base, out: b, resume: true });
    m2.dispose();
    assert.equal(r.resumedFrom, 9);
    assert.equal(r.steps, 30);
    assert.ok(
      readFileSync(join(a, 'model.safetensors')).equals(readFileSync(join(b, 'model.safetensors'))),
      'final weights are bitwise equal',
    );
    assert.deepEqual(stepLines(b), stepLines(a));
  } finally {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
});

test('abort (the SIGINT path) writes a checkpoint mid-epoch; resuming it matches the uninterrupted run', async () => {
  const a = mkdtempSync(join(tmpdir(), 'latentlens-a-')),
    b = mkdtempSync(join(tmpdir(), 'latentlens-b-'));
  try {
    await uninterrupted(a);
    const ctl = new AbortController();
    const m1 = fresh(7);
    const r1 = await trainModel(m1, data, { ...base, out: b, signal: ctl.signal }, (e) => {
      if (e.type === 'step' && e.step === 22) ctl.abort();
    });
    m1.dispose();
    assert.equal(r1.stopReason, 'aborted');
    assert.equal(r1.steps, 22);
    assert.equal(JSON.parse(readFileSync(join(b, 'checkpoints', 'latest.json'), 'utf8')).step, 22);
    const m2 = fresh(99);
    const r2 = await trainModel(m2, data, { ...base, out: b, resume: true });
    m2.dispose();
    assert.equal(r2.stopReason, 'completed');
    assert.ok(
      readFileSync(join(a, 'model.safetensors')).equals(readFileSync(join(b, 'model.safetensors'))),
      'final weights are bitwise equal',
    );
    assert.deepEqual(stepLines(b), stepLines(a));
  } finally {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
});

test('a kill during the final save: resume writes the final files from the checkpoint, trains nothing, clears temp files', async () => {
  const b = mkdtempSync(join(tmpdir(), 'latentlens-final-'));
  try {
    const opts: TrainOptions = { ...base, steps: 12, checkpointEvery: 0, out: b };
    const m1 = fresh(7);
    await trainModel(m1, data, opts);
    m1.dispose();
    const want = readFileSync(join(b, 'model.safetensors'));
    // What a SIGKILL inside the write of model.safetensors leaves (the final checkpoint is complete; the
    // weights, health.json and the stop line are not written): the same files, deterministically.
    rmSync(join(b, 'model.safetensors'));
    rmSync(join(b, 'health.json'));
    const logPath = join(b, 'train.jsonl');
    const lines = readFileSync(logPath, 'utf8').trimEnd().split('\n');
    assert.equal(JSON.parse(lines.pop()!).type, 'stop');
    writeFileSync(logPath, `${lines.join('\n')}\n`);
    const dead = 999999999; // above any pid_max: never a running process
    writeFileSync(join(b, `.model.safetensors.${dead}.1700000000000.tmp`), want.subarray(0, 100));
    writeFileSync(join(b, 'checkpoints', `.latest.json.${dead}.1700000000000.tmp`), '{"st');
    const live = `.config.json.${process.pid}.1700000000000.tmp`; // a running writer's file stays
    writeFileSync(join(b, live), '{');
    const logBefore = readFileSync(logPath, 'utf8');

    const events: TrainEvent[] = [];
    const m2 = fresh(99);
    const r = await trainModel(m2, data, { ...opts, resume: true }, (e) => events.push(e));
    m2.dispose();
    assert.equal(r.stopReason, 'completed');
    assert.equal(r.steps, 12);
    assert.deepEqual(r.finalized, ['model.safetensors', 'health.json']);
    assert.ok(readFileSync(join(b, 'model.safetensors')).equals(want), "final weights equal the uninterrupted run's byte for byte");
    assert.ok(existsSync(join(b, 'health.json')));
    assert.equal(r.health?.step, 12);
    assert.deepEqual(
      readdirSync(b).filter((n) => n.endsWith('.tmp')),
      [live],
    );
    assert.deepEqual(
      readdirSync(join(b, 'checkpoints')).filter((n) => n.startsWith('.')),
      [],
    );
    // One 'finalized' line, no start/stop pair: the log claims no new training span.
    assert.deepEqual(
      events.map((e) => e.type),
      ['finalized'],
    );
    const added = readFileSync(logPath, 'utf8')
      .slice(logBefore.length)
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(added.length, 1);
    assert.equal(added[0].type, 'finalized');
    assert.equal(added[0].step, 12);
    assert.deepEqual(added[0].wrote, ['model.safetensors', 'health.json']);

    // Resuming the now complete run again writes and logs nothing.
    const logAfter = readFileSync(logPath, 'utf8');
    const m3 = fresh(99);
    const r3 = await trainModel(m3, data, { ...opts, resume: true });
    m3.dispose();
    assert.deepEqual(r3.finalized, []);
    assert.equal(readFileSync(logPath, 'utf8'), logAfter);
    assert.ok(readFileSync(join(b, 'model.safetensors')).equals(want));
  } finally {
    rmSync(b, { recursive: true, force: true });
  }
});

// Training a diffusion decoder on a frozen trained encoder into a run folder (src/train/train-decoder.ts,
// `latentlens train-decoder`): the run opens as a diffusion-ae model holding the encoder's weights
// unchanged, reconstructs deterministically, and a crashed run resumes to the uninterrupted weights.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerTrainDecoder } from '../../src/cli/train-decoder.js';
import { loadCases } from '../../src/data/spec.js';
import { manualSeed, noGrad, scope, setNumThreads, tensor } from '../../src/engine/index.js';
import { DiffusionAE } from '../../src/models/diffusion/diffusion-ae.js';
import { createModel } from '../../src/models/registry.js';
import { loadTensorMap } from '../../src/train/checkpoint.js';
import { resumeRun } from '../../src/train/resume.js';
import { openRun } from '../../src/train/run-folder.js';
import { trainDiffusionDecoder } from '../../src/train/train-decoder.js';
import { trainingSplits, trainModel, type TrainEvent } from '../../src/train/trainer.js';

setNumThreads(1);
const SPEC = 'phantom:n=64,size=28,channels=T1,FLAIR,seed=2';
const DECODER = { width: 8, mults: [1, 2], ddimSteps: 4 };
const TRAIN = { steps: 12, batchSize: 16, lr: 2e-3, checkpointEvery: 6, progress: false };

async function encoderRun(dir: string): Promise<void> {
  const data = await loadCases(SPEC);
  manualSeed(1);
  const model = createModel('conv-ae', { inputShape: [2, 28, 28], latentMaps: 4, latentGrid: [7, 7], width: 8 });
  await trainModel(model, data, { out: dir, steps: 10, batchSize: 16, seed: 4, progress: false, extraConfig: { dataSpec: SPEC } });
  model.dispose();
}

const maxDiff = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
const tensors = (file: string, prefix: string) =>
  scope(() => {
    const { tensors: t } = loadTensorMap(file);
    return new Map([...t].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), Array.from(v.toFloat32())]));
  });

test('train-decoder: a diffusion-ae run on the frozen encoder, deterministic reconstruction, resume after a crash', async () => {
  const root = mkdtempSync(join(tmpdir(), 'latentlens-decoder-'));
  const enc = join(root, 'enc'),
    a = join(root, 'a'),
    b = join(root, 'b');
  try {
    await encoderRun(enc);
    const r = await trainDiffusionDecoder(enc, { ...TRAIN, out: a, decoder: DECODER });
    assert.equal(r.steps, 12);
    const config = JSON.parse(readFileSync(join(a, 'config.json'), 'utf8'));
    assert.equal(config.model.kind, 'diffusion-ae');
    assert.equal(config.model.encoder.kind, 'conv-ae');
    assert.equal(config.from, enc);
    assert.equal(config.seed, 4, "the encoder run's seed (and so its split) by default");
    assert.equal(config.dataSpec, SPEC);
    // The encoder is frozen: its weights and batch-norm statistics are the encoder run's, bit for bit.
    assert.deepEqual(tensors(join(a, 'model.safetensors'), 'encoder.'), tensors(join(enc, 'model.safetensors'), ''));

    const run = openRun(a);
    assert.ok(run.model instanceof DiffusionAE);
    const data = await loadCases(SPEC);
    // The latent standardisation is the per-map mean and (population) sd over the training split.
    scope(() =>
      noGrad(() => {
        const idx = trainingSplits(data, 4).train;
        const per = 2 * 28 * 28;
        const xs = new Float32Array(idx.length * per);
        idx.forEach((i, r) => xs.set(data.images.subarray(i * per, (i + 1) * per), r * per));
        const z = (run.model as DiffusionAE).encode(tensor(xs, [idx.length, 2, 28, 28])).z;
        const m = run.model as DiffusionAE;
        assert.ok(maxDiff(m.latentMean.toNumbers(), z.mean([0, 2, 3]).toNumbers()) < 1e-4, 'latent mean');
        assert.ok(maxDiff(m.latentStd.toNumbers(), z.std([0, 2, 3], false, false).toNumbers()) < 1e-4, 'latent sd');
      }),
    );
    scope(() =>
      noGrad(() => {
        const x = tensor(data.images.subarray(0, 4 * 2 * 28 * 28), [4, 2, 28, 28]).clamp(0, 1);
        const y = run.model.reconstruct(x);
        assert.deepEqual(y.shape, [4, 2, 28, 28]);
        assert.deepEqual(run.model.reconstruct(x).toFloat32(), y.toFloat32());
      }),
    );
    run.model.dispose();

    // Crash after step 8 (the latest checkpoint is step 6), then resume from the folder alone.
    const crash = (e: TrainEvent) => {
      if (e.type === 'step' && e.step === 8) throw new Error('simulated crash');
    };
    await assert.rejects(trainDiffusionDecoder(enc, { ...TRAIN, out: b, decoder: DECODER }, crash), /simulated crash/);
    const resumed = await resumeRun(b);
    assert.equal(resumed.resumedFrom, 6);
    assert.ok(
      readFileSync(join(a, 'model.safetensors')).equals(readFileSync(join(b, 'model.safetensors'))),
      "resumed weights equal the uninterrupted run's",
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('train-decoder CLI: --from a run, progress on stderr, refuses other decoder kinds', async () => {
  const root = mkdtempSync(join(tmpdir(), 'latentlens-decoder-cli-'));
  const cli = (args: string[]) => {
    const program = new Command().exitOverride();
    registerTrainDecoder(program);
    return program.parseAsync(['node', 'latentlens', 'train-decoder', ...args]);
  };
  const errors: string[] = [];
  const logs: string[] = [];
  const { error, log } = console;
  try {
    await encoderRun(join(root, 'enc'));
    console.error = (...m: unknown[]) => {
      errors.push(m.join(' '));
    };
    console.log = (...m: unknown[]) => {
      logs.push(m.join(' '));
    };
    await cli([
      '--from',
      join(root, 'enc'),
      '--out',
      join(root, 'dec'),
      '--width',
      '8',
      '--mults',
      '1,2',
      '--ddim-steps',
      '3',
      '--prediction',
      'v',
      '--steps',
      '4',
      '--batch-size',
      '16',
      '--no-progress',
    ]);
    await assert.rejects(
      cli(['--from', join(root, 'enc'), '--out', join(root, 'x'), '--decoder', 'vqvae']),
      /one of diffusion, adversarial/,
    );
  } finally {
    console.error = error;
    console.log = log;
    rmSync(root, { recursive: true, force: true });
  }
  assert.ok(
    // v-prediction: the loss printed is the error in v, and named so.
    errors.some((l) => /^epoch 1 \(step \d+\): train v-MSE/.test(l)),
    errors.join('\n'),
  );
  assert.ok(
    logs.some((l) => /^completed: 4 steps/.test(l)),
    logs.join('\n'),
  );
});

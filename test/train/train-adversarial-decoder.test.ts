// Fine-tuning a trained run's conv decoder against a patch discriminator (src/train/train-adversarial-
// decoder.ts, `latentlens train-decoder --decoder adversarial`): finite adversarial terms at every
// logged step, a reconstruction above the mean image, the encoder bit for bit the base run's, the
// decoder-side analyses of explain on the new run, resume and seeded determinism.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerTrainDecoder } from '../../src/cli/train-decoder.js';
import { loadCases } from '../../src/data/spec.js';
import { manualSeed, scope, setNumThreads } from '../../src/engine/index.js';
import { AdversarialAE } from '../../src/models/adversarial/adversarial-ae.js';
import { createModel } from '../../src/models/registry.js';
import { explainRun } from '../../src/runs/explain-run.js';
import { loadTensorMap } from '../../src/train/checkpoint.js';
import { readHealth } from '../../src/train/health.js';
import { resumeRun } from '../../src/train/resume.js';
import { openRun } from '../../src/train/run-folder.js';
import { trainAdversarialDecoder } from '../../src/train/train-adversarial-decoder.js';
import { trainModel, type TrainEvent } from '../../src/train/trainer.js';
import { atLeast } from '../helpers/margin.js';

setNumThreads(1);
const SPEC = 'phantom:n=96,size=28,channels=T1,FLAIR,seed=2';
const ADV = { steps: 30, batchSize: 16, checkpointEvery: 10, progress: false, decoder: { advStart: 10, discriminatorWidth: 8 } };

async function baseRun(dir: string, steps = 150): Promise<void> {
  const data = await loadCases(SPEC);
  manualSeed(1);
  const model = createModel('conv-ae', { inputShape: [2, 28, 28], latentMaps: 4, latentGrid: [7, 7], width: 8 });
  await trainModel(model, data, { out: dir, steps, batchSize: 16, lr: 3e-3, seed: 4, progress: false, extraConfig: { dataSpec: SPEC } });
  model.dispose();
}

const tensors = (file: string, prefix: string) =>
  scope(() => {
    const { tensors: t } = loadTensorMap(file);
    return new Map([...t].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), Array.from(v.toFloat32())]));
  });

test('adversarial decoder: finite terms, above the mean image, frozen encoder, explain runs, resume and seed reproduce the weights', async () => {
  const root = mkdtempSync(join(tmpdir(), 'latentlens-adversarial-'));
  const base = join(root, 'base'),
    a = join(root, 'a'),
    b = join(root, 'b'),
    c = join(root, 'c');
  try {
    await baseRun(base);
    const r = await trainAdversarialDecoder(base, { ...ADV, out: a });
    assert.equal(r.steps, 30);
    const config = JSON.parse(readFileSync(join(a, 'config.json'), 'utf8'));
    assert.equal(config.model.kind, 'adversarial-ae');
    assert.equal(config.model.base.kind, 'conv-ae');
    assert.equal(config.model.perceptual, 'none');
    assert.equal(config.decoder, 'adversarial');
    assert.equal(config.from, base);
    assert.equal(config.seed, 4, "the base run's seed (and so its split) by default");
    assert.equal(config.train.lr, 2e-4);

    // Every logged step: finite generator and discriminator terms; off during the warm-up, on after it.
    const steps = readFileSync(join(a, 'train.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((l) => l.type === 'step');
    assert.equal(steps.length, 30);
    for (const s of steps) {
      for (const t of ['loss', 'recon', 'gen', 'disc', 'adv_weight'])
        assert.ok(Number.isFinite(s.terms[t]), `step ${s.step} ${t} = ${s.terms[t]}`);
      assert.equal(s.terms.adv_weight > 0, s.step > 10, `step ${s.step}: adversarial weight ${s.terms.adv_weight}`);
    }

    // health.json: the fine-tuned decoder against the mean image of the training split.
    const health = readHealth(a)!;
    assert.equal(health.frozenEncoder, true);
    atLeast(health.model.psnr - health.baseline.psnr, 1, 'adversarial decoder PSNR - mean-image PSNR (dB)');
    const before = readHealth(base)!;
    atLeast(health.model.psnr - before.model.psnr, -1, 'adversarial decoder PSNR - base conv decoder PSNR (dB)');

    // Frozen: the encoder's weights and batch-norm statistics are the base run's bit for bit; the decoder moved.
    assert.deepEqual(tensors(join(a, 'model.safetensors'), 'base.encoder.'), tensors(join(base, 'model.safetensors'), 'encoder.'));
    const dec = tensors(join(a, 'model.safetensors'), 'base.decoder.'),
      dec0 = tensors(join(base, 'model.safetensors'), 'decoder.');
    assert.ok(
      [...dec].some(([k, v]) => v.some((x, i) => x !== dec0.get(k)![i])),
      'the decoder was fine-tuned',
    );

    // The run opens like any run, and explain's decoder side (ablation, entanglement, masked decoding) runs on it.
    const run = openRun(a);
    assert.ok(run.model instanceof AdversarialAE);
    run.model.dispose();
    const { file } = await explainRun(a, { map: 0, methods: ['gradient'], cases: 4, maxCases: 32 });
    const d = (file.result as { decoder: { entanglement: { overall: number; perMap: number[] }; maskedDecode: { pValue: number[] } } })
      .decoder;
    assert.ok(d.entanglement.overall >= 0 && d.entanglement.overall <= 1, `entanglement ${d.entanglement.overall}`);
    assert.equal(d.entanglement.perMap.length, 4);
    assert.ok(d.maskedDecode.pValue.every((p) => p > 0 && p <= 1));

    // Crash after step 18 (the latest checkpoint is step 10), then resume from the folder alone.
    const crash = (e: TrainEvent) => {
      if (e.type === 'step' && e.step === 18) throw new Error('simulated crash');
    };
    await assert.rejects(trainAdversarialDecoder(base, { ...ADV, out: b }, crash), /simulated crash/);
    const resumed = await resumeRun(b);
    assert.equal(resumed.resumedFrom, 10);
    const weights = readFileSync(join(a, 'model.safetensors'));
    assert.ok(weights.equals(readFileSync(join(b, 'model.safetensors'))), "resumed weights equal the uninterrupted run's");
    // The same seed, another uninterrupted run: the same weights.
    await trainAdversarialDecoder(base, { ...ADV, out: c });
    assert.ok(weights.equals(readFileSync(join(c, 'model.safetensors'))), 'the same seed gives the same weights');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('train-decoder CLI: --decoder adversarial with its options, recorded in config.json', async () => {
  const root = mkdtempSync(join(tmpdir(), 'latentlens-adversarial-cli-'));
  const cli = (args: string[]) => {
    const program = new Command().exitOverride();
    registerTrainDecoder(program);
    return program.parseAsync(['node', 'latentlens', 'train-decoder', ...args]);
  };
  const logs: string[] = [];
  const { error, log } = console;
  try {
    await baseRun(join(root, 'base'), 10);
    console.error = () => {};
    console.log = (...m: unknown[]) => {
      logs.push(m.join(' '));
    };
    const out = join(root, 'adv');
    await cli([
      ...['--decoder', 'adversarial', '--from', join(root, 'base'), '--out', out],
      ...['--adv-weight', '0.5', '--adv-start', '2', '--adv-loss', 'hinge', '--no-adaptive-weight'],
      ...['--disc-lr', '1e-4', '--disc-width', '8', '--disc-layers', '1', '--steps', '4', '--batch-size', '16', '--no-progress'],
    ]);
    const m = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).model;
    assert.deepEqual(
      [m.kind, m.advWeight, m.advStart, m.advLoss, m.adaptiveWeight, m.discriminatorLr, m.discriminatorWidth, m.discriminatorLayers],
      ['adversarial-ae', 0.5, 2, 'hinge', false, 1e-4, 8, 1],
    );
    await assert.rejects(
      cli(['--from', join(root, 'base'), '--out', join(root, 'x'), '--decoder', 'vqvae']),
      /one of diffusion, adversarial/,
    );
  } finally {
    console.error = error;
    console.log = log;
    rmSync(root, { recursive: true, force: true });
  }
  assert.ok(
    logs.some((l) => /^completed: 4 steps/.test(l)),
    logs.join('\n'),
  );
});

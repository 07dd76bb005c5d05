// train's precision 'bf16' (CPU bf16 autocast for the forward and loss). Where the CPU has native bf16:
// the same seed trains to a validation PSNR close to fp32's (bf16 changes the trajectory, not what is
// learned), beats the first epoch, keeps fp32 weights and records the precision in config.json. Where it
// has not: the option is refused with the reason, before anything is trained.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuHasNativeBf16 } from '../../src/engine/index.js';
import { manualSeed } from '../../src/engine/runtime.js';
import { trainModel } from '../../src/train/trainer.js';
import { generatePhantoms } from '../../src/data/phantom.js';
import { createModel } from '../../src/models/registry.js';
import { setNumThreads } from '../../src/engine/runtime.js';

setNumThreads(1);
const ds = generatePhantoms({ n: 300, size: 28, seed: 4 });

// The ConvAE users train (BatchNorm, transposed-convolution decoder), small: about a second per run.
async function trained(precision: 'fp32' | 'bf16', seed: number, out?: string) {
  manualSeed(seed);
  const model = createModel('conv-ae', { inputShape: [3, 28, 28], latentMaps: 8, latentGrid: [7, 7], width: 16 });
  const res = await trainModel(model, ds, {
    epochs: 6,
    batchSize: 32,
    lr: 3e-3,
    seed,
    progress: false,
    precision,
    ...(out ? { out } : {}),
  });
  return { model, res };
}

test('bf16 autocast trains to fp32 quality from the same seed, or is refused on a CPU without native bf16', async () => {
  if (!cpuHasNativeBf16()) {
    await assert.rejects(trained('bf16', 5), /precision bf16 needs a CPU with native bf16 \(AVX512-BF16 or AMX\)/);
    return;
  }
  const out = mkdtempSync(join(tmpdir(), 'latentlens-bf16-'));
  try {
    for (const seed of [5, 6]) {
      const fp32 = await trained('fp32', seed);
      const bf16 = await trained('bf16', seed, seed === 5 ? out : undefined);
      const psnr = (r: typeof fp32) => r.res.finalVal!.psnr;
      const first = bf16.res.history[0]!.val!.psnr;
      // Measured: about 9.6 -> 22.5-22.9 dB in six epochs, bf16 within 0.1 dB of fp32 at the end.
      assert.ok(psnr(bf16) > first + 8, `seed ${seed}: bf16 learns, ${first.toFixed(2)} -> ${psnr(bf16).toFixed(2)} dB`);
      assert.ok(Math.abs(psnr(bf16) - psnr(fp32)) < 0.5, `seed ${seed}: bf16 ${psnr(bf16).toFixed(2)} vs fp32 ${psnr(fp32).toFixed(2)} dB`);
      const w32 = fp32.model.paramGroups()[0]!.params[0]!.toArray() as Float32Array;
      const w16 = bf16.model.paramGroups()[0]!.params[0]!;
      assert.equal(w16.dtype, 'float32', 'weights stay fp32');
      assert.notDeepEqual(w16.toArray(), w32, 'the bf16 run took another trajectory: autocast was on');
      fp32.model.dispose();
      bf16.model.dispose();
    }
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { train: { precision?: string } };
    assert.equal(config.train.precision, 'bf16');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('precision other than fp32 or bf16 is refused', async () => {
  await assert.rejects(trained('fp16' as never, 5), /precision must be fp32 or bf16, got 'fp16'/);
});

// Train benchmark: latentlens's ConvAE (K=32 latent maps of 7x7 on PneumoniaMNIST 28x28: width 32,
// batch norm, ReLU, transposed-conv decoder, sigmoid output, MSE; Adam 1e-3, batch 64) for 3 epochs on the
// 4708 training images with validation each epoch, through trainModel, and the identical module and
// optimiser in Python PyTorch (bench/peers/train_peer.py), alternating rounds in one run with the same
// thread count. Reports seconds per epoch (training + per-epoch validation) and test PSNR on 624 images,
// both averaged over rounds (--rounds, default 3; each round a fresh model with seed = round on both sides):
// after 3 epochs the test PSNR of one seed varies by about 1 dB, so one round cannot resolve 0.3 dB.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadMedMNIST } from '../src/data/medmnist.js';
import { getNumThreads, manualSeed, torchVersion } from '../src/engine/runtime.js';
import { createModel } from '../src/models/registry.js';
import { trainModel } from '../src/train/trainer.js';
import { evaluateReconstruction } from '../src/train/validate.js';
import { PythonPeer } from './python-peer.js';

const BATCH = 64;
const EPOCHS = 3;

function arg(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : fallback;
}

export async function run(args: string[]): Promise<void> {
  const rounds = Number(arg(args, 'rounds', '3'));
  const npz = resolve(arg(args, 'npz', fileURLToPath(new URL('../../../shared/data/pneumoniamnist/pneumoniamnist.npz', import.meta.url))));
  const threads = getNumThreads();
  const data = await loadMedMNIST(npz);
  const splits = data.splits!;
  const peer = new PythonPeer(
    fileURLToPath(new URL('../../bench/peers/train_peer.py', import.meta.url)),
    [String(threads), String(BATCH), npz, '0'],
    { OPENBLAS_NUM_THREADS: '1' },
  );
  console.error(
    `peer: ${await peer.next()}; latentlens: libtorch ${torchVersion()}, ${threads} threads, ${availableParallelism()} cores; ` +
      `train ${splits.train.length}, val ${splits.val.length}, test ${splits.test.length}`,
  );

  const ll: number[] = [],
    py: number[] = [],
    llPsnr: number[] = [],
    pyPsnr: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const out = mkdtempSync(join(tmpdir(), 'latentlens-bench-train-'));
    try {
      manualSeed(r);
      const model = createModel('conv-ae', { inputShape: [1, 28, 28], latentMaps: 32, latentGrid: [7, 7] });
      const res = await trainModel(model, data, { out, epochs: EPOCHS, batchSize: BATCH, lr: 1e-3, seed: r, progress: false });
      ll.push(...res.history.map((h) => h.seconds));
      llPsnr.push(evaluateReconstruction(model, data, splits.test).psnr);
      model.dispose();
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
    await peer.next(`reset ${r}`);
    const p = JSON.parse(await peer.next(`train ${EPOCHS}`)) as { seconds: number[] };
    py.push(...p.seconds);
    pyPsnr.push((JSON.parse(await peer.next('test')) as { psnr: number }).psnr);
    console.error(
      `round ${r + 1}/${rounds}: epoch s latentlens [${ll.slice(-EPOCHS).map((s) => s.toFixed(2))}] ` +
        `pytorch [${py.slice(-EPOCHS).map((s) => s.toFixed(2))}]; test PSNR ${llPsnr[r]!.toFixed(2)} vs ${pyPsnr[r]!.toFixed(2)} dB`,
    );
  }
  peer.close();
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  // Median epoch: one-off warm-up (PyTorch's first epoch ran 2.6x its others here) must not decide the ratio.
  const median = (v: number[]) => {
    const s = [...v].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  };
  const result = {
    suite: 'train',
    latentlens_epoch_s: round(median(ll), 2),
    pytorch_epoch_s: round(median(py), 2),
    speedup: round(median(py) / median(ll), 3),
    latentlens_test_psnr: round(mean(llPsnr), 2),
    pytorch_test_psnr: round(mean(pyPsnr), 2),
  };
  console.log(JSON.stringify(result));
}

const round = (v: number, digits: number) => Number(v.toFixed(digits));

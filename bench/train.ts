// Train benchmark: latentlens's ConvAE (K=32 latent maps of 7x7 on PneumoniaMNIST 28x28: width 32,
// batch norm, ReLU, transposed-conv decoder, sigmoid output, MSE; Adam 1e-3, batch 64) for 3 epochs on the
// 4708 training images with validation each epoch, through trainModel, and the identical module and
// optimiser in Python PyTorch (bench/peers/train_peer.py), alternating rounds in one run with the same
// thread count. Reports seconds per epoch (training + per-epoch validation) and test PSNR on 624 images,
// both averaged over rounds (--rounds, default 3; each round a fresh model with seed = round on both sides):
// after 3 epochs the test PSNR of one seed varies by about 1 dB, so one round cannot resolve 0.3 dB.
// --precision bf16|both trains under CPU bf16 autocast as well (both sides), for the speed and PSNR cost.
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

  // --precision fp32 | bf16 | both: bf16 trains under CPU bf16 autocast on both sides (torch.autocast on
  // the peer's); both runs each round in fp32 and in bf16 from the same seed, for the PSNR difference.
  const precision = arg(args, 'precision', 'fp32');
  if (!['fp32', 'bf16', 'both'].includes(precision)) throw new Error(`bench train: --precision fp32|bf16|both, got ${precision}`);
  const kinds: ('fp32' | 'bf16')[] = precision === 'both' ? ['fp32', 'bf16'] : [precision as 'fp32' | 'bf16'];
  const side = () => ({ ll: [] as number[], py: [] as number[], llPsnr: [] as number[], pyPsnr: [] as number[] });
  const by = { fp32: side(), bf16: side() };
  for (let r = 0; r < rounds; r++) {
    for (const kind of kinds) {
      const m = by[kind];
      const out = mkdtempSync(join(tmpdir(), 'latentlens-bench-train-'));
      try {
        manualSeed(r);
        const model = createModel('conv-ae', { inputShape: [1, 28, 28], latentMaps: 32, latentGrid: [7, 7] });
        const res = await trainModel(model, data, {
          out,
          epochs: EPOCHS,
          batchSize: BATCH,
          lr: 1e-3,
          seed: r,
          progress: false,
          precision: kind,
        });
        m.ll.push(...res.history.map((h) => h.seconds));
        m.llPsnr.push(evaluateReconstruction(model, data, splits.test).psnr);
        model.dispose();
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
      await peer.next(`reset ${r}`);
      const p = JSON.parse(await peer.next(`train ${EPOCHS}${kind === 'bf16' ? ' bf16' : ''}`)) as { seconds: number[] };
      m.py.push(...p.seconds);
      m.pyPsnr.push((JSON.parse(await peer.next('test')) as { psnr: number }).psnr);
      console.error(
        `round ${r + 1}/${rounds} ${kind}: epoch s latentlens [${m.ll.slice(-EPOCHS).map((s) => s.toFixed(2))}] ` +
          `pytorch [${m.py.slice(-EPOCHS).map((s) => s.toFixed(2))}]; test PSNR ${m.llPsnr[r]!.toFixed(2)} vs ${m.pyPsnr[r]!.toFixed(2)} dB`,
      );
    }
  }
  peer.close();
  const { ll, py, llPsnr, pyPsnr } = by[kinds[0]!];
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
    precision: kinds[0],
    ...(precision === 'both'
      ? {
          latentlens_bf16_epoch_s: round(median(by.bf16.ll), 2),
          pytorch_bf16_epoch_s: round(median(by.bf16.py), 2),
          bf16_speedup: round(median(by.bf16.py) / median(by.bf16.ll), 3),
          latentlens_bf16_over_fp32: round(median(ll) / median(by.bf16.ll), 3),
          latentlens_bf16_test_psnr: round(mean(by.bf16.llPsnr), 2),
          pytorch_bf16_test_psnr: round(mean(by.bf16.pyPsnr), 2),
          // Same seed, same batches: the bf16 run's PSNR minus the fp32 run's, per seed.
          latentlens_bf16_psnr_diff_per_seed: by.bf16.llPsnr.map((v, i) => round(v - llPsnr[i]!, 2)),
          pytorch_bf16_psnr_diff_per_seed: by.bf16.pyPsnr.map((v, i) => round(v - pyPsnr[i]!, 2)),
        }
      : {}),
  };
  console.log(JSON.stringify(result));
}

const round = (v: number, digits: number) => Number(v.toFixed(digits));

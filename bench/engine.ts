// Engine benchmark: the reference autoencoder trained on random 1 x 64 x 64 inputs, batch 32, MSE, Adam
// 1e-3, in latentlens and in Python PyTorch, alternating rounds in one run with the same thread count.
import { spawn, type ChildProcess } from 'node:child_process';
import { Adam, cpuHasNativeBf16, getNumThreads, manualSeed, rand } from '../src/engine/index.js';
import { ReferenceAE } from '../src/models/reference-ae.js';
import { announceSides, numberArg as arg, inferenceTimer, printResult, reconstructionTrainer, round, startPeer } from './peer-harness.js';

const BATCH = 32;

export async function run(args: string[]): Promise<void> {
  const rounds = arg(args, 'rounds', 5);
  const trainSteps = arg(args, 'train-steps', 30);
  const inferSteps = arg(args, 'infer-steps', 60);
  const contend = arg(args, 'contend', 0);
  // --bf16 1|0: also time both sides under CPU bf16 autocast (default: where the CPU has native bf16).
  const bf16 = arg(args, 'bf16', cpuHasNativeBf16() ? 1 : 0) === 1;
  const threads = getNumThreads();
  manualSeed(0);
  const model = new ReferenceAE();
  const opt = new Adam(model.parameters(), { lr: 1e-3 });
  const x = rand([BATCH, 1, 64, 64]);

  const train = reconstructionTrainer(model, opt, x);
  const trainBf16 = reconstructionTrainer(model, opt, x, false, true);
  const infer = inferenceTimer(model, x);

  const peer = startPeer('engine_peer.py', [String(threads)]);
  await announceSides(peer, threads);
  // Warm-up (allocator caches, lazy op handles, Python's first-iteration costs), not timed.
  train(5);
  infer(5);
  await peer.next('train 5');
  await peer.next('infer 5');
  await peer.next('frozen 5');
  if (bf16) {
    trainBf16(5);
    infer(5, true);
    await peer.next('train_bf16 5');
    await peer.next('infer_bf16 5');
  }
  // --contend N: N single-threaded busy processes share the cores with both sides for every timed round.
  const busy: ChildProcess[] = Array.from({ length: contend }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  const rssStart = process.memoryUsage().rss;

  const t = { ll: 0, py: 0, lli: 0, pyi: 0, pyf: 0, llb: 0, pyb: 0, llbi: 0, pybi: 0 };
  for (let r = 0; r < rounds; r++) {
    t.ll += train(trainSteps);
    t.py += Number(await peer.next(`train ${trainSteps}`));
    t.lli += infer(inferSteps);
    t.pyi += Number(await peer.next(`infer ${inferSteps}`));
    t.pyf += Number(await peer.next(`frozen ${inferSteps}`));
    if (bf16) {
      t.llb += trainBf16(trainSteps);
      t.pyb += Number(await peer.next(`train_bf16 ${trainSteps}`));
      t.llbi += infer(inferSteps, true);
      t.pybi += Number(await peer.next(`infer_bf16 ${inferSteps}`));
    }
    console.error(
      `round ${r + 1}/${rounds}: train ${((trainSteps * BATCH) / (t.ll / (r + 1))).toFixed(0)} vs ${((trainSteps * BATCH) / (t.py / (r + 1))).toFixed(0)} img/s`,
    );
  }
  for (const b of busy) b.kill('SIGKILL');
  peer.close();
  const rssGrowth = (process.memoryUsage().rss - rssStart) / 2 ** 20;
  const imgs = rounds * BATCH;
  const result = {
    suite: 'engine',
    latentlens_train_img_s: round((imgs * trainSteps) / t.ll),
    pytorch_train_img_s: round((imgs * trainSteps) / t.py),
    train_speedup: round(t.py / t.ll, 3),
    latentlens_infer_img_s: round((imgs * inferSteps) / t.lli),
    pytorch_infer_img_s: round((imgs * inferSteps) / t.pyi),
    infer_speedup: round(t.pyi / t.lli, 3),
    pytorch_frozen_infer_img_s: round((imgs * inferSteps) / t.pyf),
    infer_speedup_vs_frozen: round(t.pyf / t.lli, 3),
    ...(bf16
      ? {
          latentlens_bf16_train_img_s: round((imgs * trainSteps) / t.llb),
          pytorch_bf16_train_img_s: round((imgs * trainSteps) / t.pyb),
          bf16_train_speedup: round(t.pyb / t.llb, 3),
          bf16_over_fp32_train: round(t.ll / t.llb, 3),
          latentlens_bf16_infer_img_s: round((imgs * inferSteps) / t.llbi),
          pytorch_bf16_infer_img_s: round((imgs * inferSteps) / t.pybi),
          bf16_infer_speedup: round(t.pybi / t.llbi, 3),
        }
      : {}),
    rss_growth_mb: round(rssGrowth, 1),
    threads,
    contend,
    gomp_spincount: process.env.GOMP_SPINCOUNT ?? null,
    omp_wait_policy: process.env.OMP_WAIT_POLICY ?? null,
  };
  printResult(result);
}

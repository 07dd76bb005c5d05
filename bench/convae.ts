// ConvAE benchmark at the sizes users train on: latentlens's conv-ae (width 32, batch norm, ReLU,
// transposed-conv decoder, sigmoid, MSE; Adam 1e-3) on one batch of random inputs, and the same module
// and optimiser in Python PyTorch (bench/peers/convae_peer.py, built from latentlens's own backbone plan,
// with PyTorch's in-place ReLU), alternating rounds in one run with the same thread count. Times training
// steps and inference (eval mode, no gradients; PyTorch eager and frozen). Two suites:
//   convae   --shape 2,128,128 --batch 32: a glioma subject's T1 + FLAIR axial slice at the NIfTI
//            loader's default size (128 x 128, 16 maps of 16 x 16);
//   train3d  --shape 1,28,28,28 --batch 16: a 3D ConvAE (16 maps of 7^3).
// Ratios are PyTorch seconds over latentlens seconds: above 1 means latentlens is faster.
import { Adam, getNumThreads, manualSeed, rand } from '../src/engine/index.js';
import { planBackbone } from '../src/models/backbone.js';
import { ConvAE } from '../src/models/conv-ae.js';
import { announceSides, inferenceTimer, numberArg, printResult, reconstructionTrainer, round, startPeer } from './peer-harness.js';

const MAPS = 16;

function shapeArg(args: string[], fallback: number[]): [number, number, number] | [number, number, number, number] {
  const i = args.indexOf('--shape');
  const shape = i >= 0 ? args[i + 1]!.split(',').map(Number) : fallback;
  if (shape.length !== 3 && shape.length !== 4) throw new Error(`bench: --shape C,H,W or C,D,H,W, got ${args[i + 1]}`);
  return shape as [number, number, number] | [number, number, number, number];
}

async function run(suite: string, args: string[], defaults: { shape: number[]; batch: number }): Promise<void> {
  const rounds = numberArg(args, 'rounds', 3);
  const steps = numberArg(args, 'steps', 5);
  const inferSteps = numberArg(args, 'infer-steps', 10);
  const batch = numberArg(args, 'batch', defaults.batch);
  const inputShape = shapeArg(args, defaults.shape);
  const threads = getNumThreads();
  manualSeed(0);
  const model = new ConvAE({ inputShape, latentMaps: MAPS });
  const params = model.parameters();
  const opt = new Adam(params, { lr: 1e-3 });
  const x = rand([batch, ...inputShape]);
  const train = reconstructionTrainer(model, opt, x, true);
  const infer = inferenceTimer(model, x);
  const plan = { shape: inputShape, widths: planBackbone({ inputShape }).widths, maps: MAPS };
  const peer = startPeer('convae_peer.py', [String(threads), String(batch), JSON.stringify(plan)]);
  const nParams = params.reduce((a, p) => a + p.numel, 0);
  const ready = await announceSides(peer, threads, `, ${nParams} parameters`);
  // The peer's last word is its parameter count: a different count is a different model, not a benchmark.
  if (Number(ready.split(' ').at(-1)) !== nParams)
    throw new Error(`bench ${suite}: the peer built another model (${nParams} parameters here)`);
  // Warm-up (allocator caches, lazy op handles, Python's first-iteration costs, the freeze), not timed.
  train(1);
  infer(2);
  for (const cmd of ['train 1', 'infer 2', 'frozen 2']) await peer.next(cmd);
  const t = { ll: 0, py: 0, lli: 0, pyi: 0, pyf: 0 };
  for (let r = 0; r < rounds; r++) {
    t.ll += train(steps);
    t.py += Number(await peer.next(`train ${steps}`));
    t.lli += infer(inferSteps);
    t.pyi += Number(await peer.next(`infer ${inferSteps}`));
    t.pyf += Number(await peer.next(`frozen ${inferSteps}`));
    const n = steps * batch * (r + 1);
    console.error(`round ${r + 1}/${rounds}: train ${(n / t.ll).toFixed(1)} vs ${(n / t.py).toFixed(1)} inputs/s`);
  }
  peer.close();
  opt.dispose();
  model.dispose();
  const trained = rounds * steps * batch,
    inferred = rounds * inferSteps * batch;
  printResult({
    suite,
    shape: inputShape,
    batch,
    threads,
    latentlens_train_per_s: round(trained / t.ll),
    pytorch_train_per_s: round(trained / t.py),
    train_speedup: round(t.py / t.ll, 3),
    latentlens_infer_per_s: round(inferred / t.lli),
    pytorch_infer_per_s: round(inferred / t.pyi),
    pytorch_frozen_infer_per_s: round(inferred / t.pyf),
    infer_speedup: round(t.pyi / t.lli, 3),
    infer_speedup_frozen: round(t.pyf / t.lli, 3),
  });
}

export const convae = (args: string[]) => run('convae', args, { shape: [2, 128, 128], batch: 32 });
export const train3d = (args: string[]) => run('train3d', args, { shape: [1, 28, 28, 28], batch: 16 });

// 3D training benchmark: latentlens's 3D ConvAE (conv-ae on 1 x 28 x 28 x 28 volumes: width 32, batch
// norm, ReLU, transposed-conv decoder, 16 maps of 7^3, sigmoid, MSE; Adam 1e-3) trained on a batch of 16
// random volumes, and the identical module and optimiser in Python PyTorch (bench/peers/train3d_peer.py),
// alternating rounds in one run with the same thread count. Reports volumes per second of training and
// the ratio (pytorch seconds / latentlens seconds: above 1 means latentlens is faster).
import { Adam, getNumThreads, manualSeed, rand } from '../src/engine/index.js';
import { ConvAE } from '../src/models/conv-ae.js';
import { announceSides, numberArg as arg, printResult, reconstructionTrainer, round, startPeer } from './peer-harness.js';

export async function run(args: string[]): Promise<void> {
  const rounds = arg(args, 'rounds', 3);
  const steps = arg(args, 'steps', 5);
  const batch = arg(args, 'batch', 16);
  const side = arg(args, 'side', 28);
  const threads = getNumThreads();
  manualSeed(0);
  const model = new ConvAE({ inputShape: [1, side, side, side], latentMaps: 16 });
  const params = model.parameters();
  const opt = new Adam(params, { lr: 1e-3 });
  const x = rand([batch, 1, side, side, side]);
  const train = reconstructionTrainer(model, opt, x, true);
  const peer = startPeer('train3d_peer.py', [String(threads), String(batch), String(side)]);
  const nParams = params.reduce((a, p) => a + p.numel, 0);
  await announceSides(peer, threads, `, ${nParams} parameters`);
  // Warm-up (allocator caches, lazy op handles, Python's first-iteration costs), not timed.
  train(1);
  await peer.next('train 1');
  let ll = 0,
    py = 0;
  for (let r = 0; r < rounds; r++) {
    ll += train(steps);
    py += Number(await peer.next(`train ${steps}`));
    console.error(
      `round ${r + 1}/${rounds}: ${((steps * batch * (r + 1)) / ll).toFixed(1)} vs ${((steps * batch * (r + 1)) / py).toFixed(1)} volumes/s`,
    );
  }
  peer.close();
  opt.dispose();
  model.dispose();
  const vols = rounds * steps * batch;
  printResult({
    suite: 'train3d',
    side,
    batch,
    threads,
    latentlens_train_vol_s: round(vols / ll),
    pytorch_train_vol_s: round(vols / py),
    speedup: round(py / ll, 3),
  });
}

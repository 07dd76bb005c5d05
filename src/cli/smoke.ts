// `latentlens smoke`: a one-minute check of the engine: trains the reference autoencoder on phantoms and
// prints the loss falling.
import type { Command } from 'commander';
import { generatePhantoms } from '../data/phantom.js';
import { Adam, F, manualSeed, scope, tensor, getNumThreads, torchVersion } from '../engine/index.js';
import { ReferenceAE } from '../models/reference-ae.js';
import { positiveIntFlag, wholeNumberFlag } from './flags.js';

export interface SmokeOptions {
  steps: number;
  batch: number;
  seed: number;
  cases: number;
}

/** Trains the reference autoencoder on phantoms; returns the loss every `every` steps. */
export function smokeTrain(o: SmokeOptions, onLoss: (step: number, loss: number) => void = () => {}): number[] {
  manualSeed(o.seed);
  const data = generatePhantoms({ n: o.cases, size: 64, seed: o.seed });
  const [n, c, h, w] = data.shape;
  const images = tensor(data.images, [n, c, h, w]);
  const model = new ReferenceAE(c);
  const opt = new Adam(model.parameters(), { lr: 1e-3 });
  const losses: number[] = [];
  for (let step = 1; step <= o.steps; step++) {
    const loss = scope(() => {
      const start = ((step - 1) * o.batch) % (n - o.batch + 1);
      const x = images.narrow(0, start, o.batch).clamp(0, 1);
      opt.zeroGrad();
      const l = F.mseLoss(model.forward(x), x);
      l.backward();
      opt.step();
      return l.item();
    });
    losses.push(loss);
    onLoss(step, loss);
  }
  model.dispose();
  opt.dispose();
  images.dispose();
  return losses;
}

export function registerSmoke(program: Command): void {
  program
    .command('smoke')
    .description('check the engine: train a small convolutional autoencoder on phantoms and print the loss falling')
    .option('--steps <n>', 'training steps', positiveIntFlag('--steps'), 200)
    .option('--batch <n>', 'batch size', positiveIntFlag('--batch'), 32)
    .option('--seed <n>', 'seed of every random choice', wholeNumberFlag('--seed'), 0)
    .action((o: { steps: number; batch: number; seed: number }) => {
      console.log(`latentlens smoke run: libtorch ${torchVersion()}, ${getNumThreads()} threads`);
      const t0 = performance.now();
      const losses = smokeTrain({ ...o, cases: 1024 }, (step, loss) => {
        if (step === 1 || step % 20 === 0) console.log(`step ${String(step).padStart(4)}  loss ${loss.toFixed(5)}`);
      });
      const s = (performance.now() - t0) / 1000;
      const first = losses.slice(0, 10).reduce((a, b) => a + b, 0) / 10;
      const last = losses.slice(-10).reduce((a, b) => a + b, 0) / 10;
      console.log(`loss ${first.toFixed(5)} -> ${last.toFixed(5)} in ${s.toFixed(1)} s (${((o.steps * o.batch) / s).toFixed(0)} images/s)`);
    });
}

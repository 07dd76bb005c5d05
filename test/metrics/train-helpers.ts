// Tiny training helpers for the metric and TCAV tests (copied from test/models/train-loop.ts so these
// tests do not depend on another suite's helpers).
import { Adam, manualSeed, scope, tensor, type Tensor } from '../../src/engine/index.js';
import { generatePhantoms } from '../../src/data/phantom.js';
import type { ImageDataset } from '../../src/data/types.js';
import type { LatentModel } from '../../src/models/types.js';

export function phantoms(n: number, size = 32, seed = 0): ImageDataset {
  return generatePhantoms({ n, size, seed, channels: ['T1', 'FLAIR'], lesionChannels: ['FLAIR'], distractorChannels: ['T1'] });
}

export function imagesTensor(ds: ImageDataset): Tensor {
  return tensor(ds.images, ds.shape).clamp(0, 1);
}

/** Trains `steps` Adam steps on batches cycled from `x`. */
export function fit(model: LatentModel, x: Tensor, steps: number, batch = 32, lr = 2e-3, seed = 0): void {
  manualSeed(seed);
  const opts = new Map(model.paramGroups().map((g) => [g.name, { params: g.params, opt: new Adam(g.params, { lr: g.lr ?? lr, betas: g.betas }) }]));
  const n = x.shape[0]!;
  model.train();
  for (let step = 1; step <= steps; step++) {
    scope(() => {
      const xb = x.narrow(0, ((step - 1) * batch) % (n - batch + 1), batch);
      model.trainStep(xb, step, (group, loss) => {
        const g = opts.get(group)!;
        for (const p of g.params) p.grad = null;
        loss.backward();
        g.opt.step();
      });
    });
  }
  for (const { opt } of opts.values()) opt.dispose();
  model.eval();
}

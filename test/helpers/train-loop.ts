// A minimal training loop for model tests (the full trainer lives in src/train).
import { Adam, manualSeed, scope, tensor, type Tensor } from '../../src/engine/index.js';
import { generatePhantoms } from '../../src/data/phantom.js';
import type { LatentModel, LossTerms } from '../../src/models/types.js';

export function phantomTensor(n: number, size = 32, seed = 0, channels = ['T1', 'FLAIR']): Tensor {
  const ds = generatePhantoms({ n, size, seed, channels, lesionChannels: ['FLAIR'], distractorChannels: ['T1'] });
  return tensor(ds.images, ds.shape).clamp(0, 1);
}

/** Trains `steps` steps on batches cycled from `x`; returns the logged terms of every step. */
export function fit(model: LatentModel, x: Tensor, steps: number, batch = 16, lr = 2e-3, seed = 0): LossTerms[] {
  manualSeed(seed);
  const opts = new Map(
    model.paramGroups().map((g) => [g.name, { params: g.params, opt: new Adam(g.params, { lr: g.lr ?? lr, betas: g.betas }) }]),
  );
  const n = x.shape[0]!;
  const log: LossTerms[] = [];
  model.train();
  for (let step = 1; step <= steps; step++) {
    log.push(
      scope(() => {
        const xb = x.narrow(0, ((step - 1) * batch) % (n - batch + 1), batch);
        return model.trainStep(xb, step, (group, loss) => {
          const g = opts.get(group)!;
          for (const p of g.params) p.grad = null;
          loss.backward();
          g.opt.step();
        });
      }),
    );
  }
  for (const { opt } of opts.values()) opt.dispose();
  model.eval();
  return log;
}

export const meanOf = (log: LossTerms[], key: string, from: number, to: number) =>
  log.slice(from, to).reduce((s, t) => s + t[key]!, 0) / (to - from);

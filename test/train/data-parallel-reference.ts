// A single process doing what W data-parallel ranks do, written out step by step as the reference of the
// data-parallel tests: each step it runs the model's own trainStep on every rank's share of the global
// batch (the distributed sampler's order, that rank's seed, rank 0's buffers at the start of the step),
// keeps each share's gradients, and steps each optimizer on their mean (1/W times each, summed in rank
// order). It covers models whose noise or batch statistics make the ranks differ from one big batch:
// FactorVAE's discriminator is stepped on latents computed before the main step in either case, so
// collecting both groups' gradients first changes nothing.
import { Adam, noGrad, scope, tensor, type Tensor } from '../../src/engine/index.js';
import type { LatentModel } from '../../src/models/types.js';
import { distributedSamplerIndices } from '../../src/train/distributed/sampler.js';
import { resolveTrainOptions } from '../../src/train/options.js';
import { seedStep } from '../../src/train/seed.js';
import { ddpData, ddpOptions } from './data-parallel-setup.js';

export function referenceRanks(model: LatentModel, W: number, steps: number): void {
  const o = resolveTrainOptions(ddpOptions(steps));
  const data = ddpData();
  const train = data.splits!.train;
  const [, c, h, w] = data.shape as [number, number, number, number];
  const groups = model.paramGroups();
  const opts = new Map(
    groups.map((g) => [
      g.name,
      new Adam(g.params, { lr: g.lr ?? o.lr, betas: g.betas ?? o.betas, eps: o.eps, weightDecay: o.weightDecay }),
    ]),
  );
  const params = new Set(groups.flatMap((g) => g.params));
  const buffers = [...model.stateDict().values()].filter((t) => !params.has(t));
  const perRank = o.batchSize / W;
  const stepsPerEpoch = train.length / o.batchSize;
  model.train(true);
  for (let step = 1; step <= steps; step++) {
    scope(() => {
      const epoch = Math.floor((step - 1) / stepsPerEpoch);
      const j = (step - 1) % stepsPerEpoch;
      const start = buffers.map((b) => b.clone());
      let afterRank0: Tensor[] = [];
      // grads.get(group)[r][i]: rank r's gradient of the group's parameter i (null: none).
      const grads = new Map<string, (Tensor | null)[][]>(groups.map((g) => [g.name, []]));
      for (let r = 0; r < W; r++) {
        noGrad(() => buffers.forEach((b, i) => b.copy_(start[i]!)));
        const order = distributedSamplerIndices(train.length, { worldSize: W, rank: r, seed: o.seed, epoch });
        const idx = Array.from(order.slice(j * perRank, (j + 1) * perRank), (i) => train[i]!);
        const x = new Float32Array(idx.length * c * h * w);
        idx.forEach((d, k) => x.set(data.images.subarray(d * c * h * w, (d + 1) * c * h * w), k * c * h * w));
        seedStep(o.seed, step, r);
        model.trainStep(tensor(x, [idx.length, c, h, w]), step, (group, loss) => {
          const g = groups.find((q) => q.name === group)!;
          for (const p of g.params) p.grad = null;
          loss.backward();
          grads.get(group)!.push(g.params.map((p) => p.grad?.clone() ?? null));
        });
        if (r === 0) afterRank0 = buffers.map((b) => b.clone());
      }
      noGrad(() => {
        buffers.forEach((b, i) => b.copy_(afterRank0[i]!));
        for (const g of groups) {
          const perRankGrads = grads.get(g.name)!;
          g.params.forEach((p, i) => {
            const gs = perRankGrads.map((rg) => rg[i]!);
            if (gs.every((t) => t === null)) return;
            let sum: Tensor | null = null;
            for (const t of gs) {
              const part = (t ?? p.mul(0)).mul(1 / W);
              sum = sum ? sum.add(part) : part;
            }
            p.grad = sum;
          });
          opts.get(g.name)!.step();
        }
      });
    });
  }
  for (const opt of opts.values()) opt.dispose();
}

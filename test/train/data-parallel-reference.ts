// A single process doing what W data-parallel ranks do, written out step by step as the reference of the
// data-parallel tests. A model's trainStep may update several parameter groups in turn, each update's
// loss computed with the groups before it already stepped on every rank's mean gradient (InfoGAN's
// generator loss reads the discriminator trunk it just stepped), so one step is replayed once per
// update u = 0, 1, ...: every rank's share of the global batch (the distributed sampler's order, that
// rank's seed, rank 0's buffers and the step's starting weights) runs the whole trainStep; updates
// before u put in the weights they stepped to, update u keeps its gradients, later ones do nothing. Then
// u's optimizer steps on the mean (1/W times each, summed in rank order). A last replay, every update
// putting its weights in, is the step as each rank ran it: rank 0's buffers are taken from it.
import { Adam, noGrad, scope, tensor, type Tensor } from '../../src/engine/index.js';
import type { LatentModel, ParamGroup } from '../../src/models/types.js';
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
  const params = groups.flatMap((g) => g.params);
  const paramSet = new Set(params);
  const buffers = [...model.stateDict().values()].filter((t) => !paramSet.has(t));
  const perRank = o.batchSize / W;
  const stepsPerEpoch = train.length / o.batchSize;
  const batchOf = (step: number, r: number): Tensor => {
    const epoch = Math.floor((step - 1) / stepsPerEpoch);
    const j = (step - 1) % stepsPerEpoch;
    const order = distributedSamplerIndices(train.length, { worldSize: W, rank: r, seed: o.seed, epoch });
    const idx = Array.from(order.slice(j * perRank, (j + 1) * perRank), (i) => train[i]!);
    const x = new Float32Array(idx.length * c * h * w);
    idx.forEach((d, k) => x.set(data.images.subarray(d * c * h * w, (d + 1) * c * h * w), k * c * h * w));
    return tensor(x, [idx.length, c, h, w]);
  };
  model.train(true);
  for (let step = 1; step <= steps; step++) {
    scope(() => {
      const startBuffers = buffers.map((b) => b.clone());
      const startParams = params.map((p) => p.clone());
      // stepped[v]: the weights update v's group stepped to.
      const stepped: Tensor[][] = [];
      let rank0Buffers: Tensor[] = [];
      for (let u = 0; ; u++) {
        let updates = 0;
        let group: ParamGroup | null = null;
        // grads[r][i]: rank r's gradient of the group's parameter i (null: none).
        const grads: (Tensor | null)[][] = [];
        for (let r = 0; r < W; r++) {
          noGrad(() => {
            buffers.forEach((b, i) => b.copy_(startBuffers[i]!));
            params.forEach((p, i) => p.copy_(startParams[i]!));
          });
          seedStep(o.seed, step, r);
          updates = 0;
          model.trainStep(batchOf(step, r), step, (name, loss) => {
            const g = groups.find((q) => q.name === name)!;
            const v = updates++;
            if (v < u) noGrad(() => g.params.forEach((p, i) => p.copy_(stepped[v]![i]!)));
            if (v !== u) return;
            group = g;
            for (const p of g.params) p.grad = null;
            loss.backward();
            grads.push(g.params.map((p) => p.grad?.clone() ?? null));
          });
          if (r === 0) rank0Buffers = buffers.map((b) => b.clone());
        }
        if (u === updates) break; // the replay with every update in place: the step as the ranks ran it
        const g = group as ParamGroup | null;
        if (!g) throw new Error(`update ${u} was not reached`);
        noGrad(() => {
          g.params.forEach((p, i) => {
            const gs = grads.map((rg) => rg[i]!);
            if (gs.every((t) => t === null)) return;
            let sum: Tensor | null = null;
            for (const t of gs) {
              const part = (t ?? p.mul(0)).mul(1 / W);
              sum = sum ? sum.add(part) : part;
            }
            p.grad = sum;
          });
          opts.get(g.name)!.step();
        });
        stepped.push(g.params.map((p) => p.clone()));
      }
      noGrad(() => buffers.forEach((b, i) => b.copy_(rank0Buffers[i]!)));
    });
  }
  for (const opt of opts.values()) opt.dispose();
}

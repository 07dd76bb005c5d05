// The label head TCAV differentiates: a map from latents (N x K x h x w) to class logits. Either a
// probe trained here on the latents (logistic: one linear layer; mlp: one hidden ReLU layer), or a
// user's TorchScript classifier over latents. Probes standardise their inputs with fixed constants, so
// their gradients are taken with respect to the raw latents, the space the CAVs live in.
import { Adam, F, generator, noGrad, scope, keep, tensor, withGenerator, type Tensor } from '../../engine/index.js';
import type { ScriptModule } from '../../engine/script.js';
import { randomStream, type Random } from '../../core/random.js';
import { Linear, ReLU, Sequential } from '../../nn/layers.js';
import type { Module } from '../../nn/module.js';
import { latentCells, type LatentMaps } from '../../models/encode.js';

export interface LabelHead {
  kind: 'logistic' | 'mlp' | 'torchscript';
  /** Number of classes (logit columns). */
  classes: number;
  /** Class logits N x C for latent maps N x K x h x w. */
  logits(z: Tensor): Tensor;
  /** Accuracy on the probe's held-out cases (trained probes only). */
  heldOutAccuracy?: number;
  /** The held-out cases behind `heldOutAccuracy`: how many, how many were right, and the majority-class rate among them. */
  heldOut?: { cases: number; correct: number; majorityRate: number };
  dispose(): void;
}

export interface ProbeOptions {
  /** 'mlp' (default) or 'logistic'. */
  kind?: 'logistic' | 'mlp';
  /** Hidden units of the MLP. Default 32. */
  hidden?: number;
  /** Full-batch Adam steps. Default 300. */
  steps?: number;
  /** Learning rate. Default 0.01. */
  lr?: number;
  /** Adam weight decay (L2). Default 1e-4. */
  weightDecay?: number;
  /** Fraction of cases held out, per class, to report the probe's accuracy. Default 0.2. */
  testFraction?: number;
  seed?: number;
}

/** Per-class random split: held-out indices get `testFraction` of each class. */
function stratifiedSplit(labels: ArrayLike<number>, testFraction: number, rnd: Random): { train: Int32Array; test: Int32Array } {
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const list = byClass.get(labels[i]!) ?? [];
    list.push(i);
    byClass.set(labels[i]!, list);
  }
  const train: number[] = [];
  const test: number[] = [];
  for (const list of byClass.values()) {
    rnd.shuffle(list);
    const k = Math.round(list.length * testFraction);
    test.push(...list.slice(0, k));
    train.push(...list.slice(k));
  }
  return { train: Int32Array.from(train.sort((a, b) => a - b)), test: Int32Array.from(test.sort((a, b) => a - b)) };
}

/** Fraction of the most common label: the accuracy of always predicting it. */
export function majorityRate(labels: ArrayLike<number>): number {
  const counts = new Map<number, number>();
  let best = 0;
  for (let i = 0; i < labels.length; i++) {
    const c = (counts.get(labels[i]!) ?? 0) + 1;
    counts.set(labels[i]!, c);
    best = Math.max(best, c);
  }
  return labels.length ? best / labels.length : NaN;
}

/** Trains a probe from latents (volumes' maps read as their cells) to integer labels (0..C-1) and reports its held-out accuracy. */
export function trainProbe(latents: LatentMaps, labels: ArrayLike<number>, o: ProbeOptions = {}): LabelHead {
  const kind = o.kind ?? 'mlp';
  const seed = o.seed ?? 0;
  const maps = latentCells(latents);
  const [n, k, h, w] = maps.shape;
  const d = k * h * w;
  if (labels.length !== n) throw new Error(`probe: ${labels.length} labels for ${n} cases`);
  let classes = 0;
  for (let i = 0; i < n; i++) classes = Math.max(classes, labels[i]! + 1);
  if (classes < 2) throw new Error('probe: labels need at least two classes');
  const split = stratifiedSplit(labels, o.testFraction ?? 0.2, randomStream(seed, 'probe'));
  // Standardisation constants from the training cases.
  const mu = new Float32Array(d);
  const sd = new Float32Array(d);
  for (const i of split.train) for (let j = 0; j < d; j++) mu[j] += maps.data[i * d + j]! / split.train.length;
  for (const i of split.train) for (let j = 0; j < d; j++) sd[j] += (maps.data[i * d + j]! - mu[j]!) ** 2 / split.train.length;
  for (let j = 0; j < d; j++) sd[j] = Math.sqrt(sd[j]!) > 1e-8 ? Math.sqrt(sd[j]!) : 1;
  const muT = keep(tensor(mu, [1, d]));
  const sdT = keep(tensor(sd, [1, d]));
  // Initial weights from a generator of the probe's own (the same weights manualSeed(seed) gave), so
  // training a probe neither depends on nor changes libtorch's global random state.
  const net: Module = withGenerator(generator(seed), () =>
    kind === 'logistic'
      ? new Linear(d, classes)
      : new Sequential(new Linear(d, o.hidden ?? 32), ReLU(), new Linear(o.hidden ?? 32, classes)),
  );
  const forward = (z: Tensor): Tensor => net.forward(z.reshape(z.shape[0]!, d).sub(muT).div(sdT));
  const rows = (idx: Int32Array): Float32Array => {
    const out = new Float32Array(idx.length * d);
    idx.forEach((i, r) => out.set(maps.data.subarray(i * d, (i + 1) * d), r * d));
    return out;
  };
  const opt = new Adam(net.parameters(), { lr: o.lr ?? 0.01, weightDecay: o.weightDecay ?? 1e-4 });
  scope(() => {
    const x = tensor(rows(split.train), [split.train.length, k, h, w]);
    const y = tensor(
      Int32Array.from(split.train, (i) => labels[i]!),
      [split.train.length],
    ).to('int64');
    for (let step = 0; step < (o.steps ?? 300); step++) {
      scope(() => {
        for (const p of net.parameters()) p.grad = null;
        F.crossEntropy(forward(x), y).backward();
        opt.step();
      });
    }
  });
  opt.dispose();
  let heldOut: LabelHead['heldOut'];
  if (split.test.length > 0) {
    const correct = scope(() =>
      noGrad(() => {
        const pred = forward(tensor(rows(split.test), [split.test.length, k, h, w]))
          .argmax(1)
          .toNumbers();
        return pred.filter((p, r) => p === labels[split.test[r]!]).length;
      }),
    );
    heldOut = { cases: split.test.length, correct, majorityRate: majorityRate(Array.from(split.test, (i) => labels[i]!)) };
  }
  return {
    kind,
    classes,
    ...(heldOut ? { heldOutAccuracy: heldOut.correct / heldOut.cases, heldOut } : {}),
    logits: forward,
    dispose: () => {
      net.dispose();
      muT.dispose();
      sdT.dispose();
    },
  };
}

/**
 * A user's TorchScript classifier over latents as a label head: `method` (default forward) takes
 * N x K x h x w latents and returns N x C logits; gradients flow back through it.
 */
export function scriptLabelHead(module: ScriptModule, classes: number, method = 'forward'): LabelHead {
  module.eval();
  return { kind: 'torchscript', classes, logits: (z) => module.callTensor(method, z), dispose: () => {} };
}

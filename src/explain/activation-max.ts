// Activation maximisation: the input that most increases a map's target, found by gradient ascent from
// noise or from a real case, with L2 and total-variation penalties, random jitter (shifts) and periodic
// blur so that the result shows structure instead of adversarial noise. Seeded.
import { Adam, F, grad, keep, noGrad, scope, type Tensor } from '../engine/index.js';
import { seededUniform } from './attribution/seeded-noise.js';
import type { LatentModel } from '../models/types.js';
import { blur } from './attribution/baseline.js';
import { targetOf, type MapTarget } from './target.js';

export interface ActivationMaxOptions {
  target: MapTarget;
  /** Start image 1 x C x H x W; default uniform noise in [0.4, 0.6]. */
  start?: Tensor;
  /** Input shape C x H x W when starting from noise. */
  inputShape: [number, number, number];
  steps?: number; // default 200
  lr?: number; // default 0.05
  l2?: number; // default 1e-3
  tv?: number; // default 1e-2
  jitter?: number; // max shift in pixels, default 2
  blurEvery?: number; // default 10
  blurSigma?: number; // default 0.5
  seed?: number;
}

export interface ActivationMaxResult {
  image: Float32Array;
  shape: [number, number, number, number];
  /** Target value at the start and at the end. */
  startValue: number;
  finalValue: number;
}

function totalVariation(x: Tensor): Tensor {
  const dy = x
    .slice(2, 1)
    .sub(x.slice(2, 0, -1))
    .abs()
    .mean();
  const dx = x
    .slice(3, 1)
    .sub(x.slice(3, 0, -1))
    .abs()
    .mean();
  return dy.add(dx);
}

export function activationMaximization(model: LatentModel, o: ActivationMaxOptions): ActivationMaxResult {
  model.eval();
  const [c, h, w] = o.inputShape;
  const x = keep(
    scope(() =>
      (o.start
        ? o.start.clone()
        : seededUniform(o.seed ?? 0, 'activation-max', 0, [1, c, h, w])
            .mul(0.2)
            .add(0.4)
      )
        .detach()
        .requiresGrad_(true),
    ),
  );
  const opt = new Adam([x], { lr: o.lr ?? 0.05 });
  const startValue = scope(() => targetOf(model, x, o.target).item());
  const steps = o.steps ?? 200,
    jitter = o.jitter ?? 2,
    every = o.blurEvery ?? 10;
  for (let s = 0; s < steps; s++) {
    scope(() => {
      // Deterministic jitter sequence: the same seed and settings give the same image.
      const dy = ((s * 7919) % (2 * jitter + 1)) - jitter;
      const dx = ((s * 104729) % (2 * jitter + 1)) - jitter;
      const shifted = F.callAten('roll', [x, [dy, dx], [2, 3]]) as Tensor;
      const objective = targetOf(model, shifted, o.target)
        .sum()
        .neg()
        .add(
          x
            .square()
            .mean()
            .mul(o.l2 ?? 1e-3),
        )
        .add(totalVariation(x).mul(o.tv ?? 1e-2));
      const [g] = grad(objective, x);
      x.grad = g!;
      opt.step();
      x.grad = null;
    });
    noGrad(() =>
      scope(() => {
        if (every > 0 && (s + 1) % every === 0) x.copy_(blur(x.detach(), o.blurSigma ?? 0.5));
        x.clamp_(0, 1);
      }),
    );
  }
  const finalValue = scope(() => targetOf(model, x, o.target).item());
  const image = x.detach().toFloat32();
  opt.dispose();
  x.dispose();
  return { image, shape: [1, c, h, w], startValue, finalValue };
}

// Gradient-based attributions of a map target: plain gradient, gradient x (input - baseline),
// integrated gradients (Sundararajan et al. 2017) with its convergence delta, SmoothGrad (Smilkov et al. 2017).
import { grad, noGrad, scope, tensor, type Tensor } from '../../engine/index.js';
import { normalValues } from './seeded-noise.js';
import type { LatentModel } from '../../models/types.js';
import { targetOf, type MapTarget } from '../target.js';

/** d target / d x for a batch (model in eval mode, so cases do not interact). */
export function inputGradient(model: LatentModel, x: Tensor, target: MapTarget): Tensor {
  const xi = x.detach().requiresGrad_(true);
  const [g] = grad(targetOf(model, xi, target).sum(), xi);
  return g!;
}

export function gradientAttribution(model: LatentModel, x: Tensor, target: MapTarget): Tensor {
  return inputGradient(model, x, target);
}

export function gradientTimesInput(model: LatentModel, x: Tensor, baseline: Tensor, target: MapTarget): Tensor {
  return inputGradient(model, x, target).mul(x.sub(baseline));
}

/**
 * Integrated gradients along the straight path from baseline to x, midpoint rule with `steps` points.
 * Completeness: the attributions of a case sum to f(x) - f(baseline); the convergence delta is the gap.
 */
export function integratedGradients(
  model: LatentModel,
  x: Tensor,
  baseline: Tensor,
  target: MapTarget,
  steps = 32,
): { attribution: Tensor; delta: Tensor } {
  const diff = x.sub(baseline);
  let total = x.mul(0);
  for (let s = 0; s < steps; s++) {
    const alpha = (s + 0.5) / steps;
    total = scope(() => total.add(inputGradient(model, baseline.add(diff.mul(alpha)), target)));
  }
  const attribution = total.mul(diff).div(steps);
  const delta = noGrad(() =>
    attribution
      .flatten(1)
      .sum(1)
      .sub(targetOf(model, x, target).sub(targetOf(model, baseline, target))),
  );
  return { attribution, delta };
}

/**
 * Mean gradient over `samples` noisy copies, noise sd = `noise` x (max - min) of each case. The noise of
 * case i is the stream (seed, 'smoothgrad', firstCase + i): the same for a case whatever the batching.
 */
export function smoothGrad(model: LatentModel, x: Tensor, target: MapTarget, samples = 25, noise = 0.15, seed = 0, firstCase = 0): Tensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const len = c * h * w;
  const eps = new Float32Array(samples * n * len);
  for (let i = 0; i < n; i++) {
    const v = normalValues(seed, 'smoothgrad', firstCase + i, samples * len);
    for (let s = 0; s < samples; s++) eps.set(v.subarray(s * len, (s + 1) * len), (s * n + i) * len);
  }
  const noiseAll = tensor(eps, [samples, n, c, h, w]);
  const range = x.flatten(1).amax(1).sub(x.flatten(1).amin(1)).reshape(n, 1, 1, 1);
  const sd = range.mul(noise);
  let total = x.mul(0);
  for (let s = 0; s < samples; s++) {
    total = scope(() => total.add(inputGradient(model, x.add(noiseAll.select(0, s).mul(sd)), target)));
  }
  return total.div(samples);
}

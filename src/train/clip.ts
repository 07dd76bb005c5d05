// Gradient clipping by global norm, computed as PyTorch's clip_grad_norm_ does: the L2 norm of the
// per-parameter L2 norms, and every gradient scaled by min(1, maxNorm / (norm + 1e-6)).
import * as F from '../engine/functional.js';
import { noGrad } from '../engine/autograd.js';
import { scope } from '../engine/scope.js';
import type { Tensor } from '../engine/tensor.js';

/** The global L2 norm of the gradients of `params` (0 when none has a gradient). */
export function gradNorm(params: Tensor[]): number {
  return scope(() =>
    noGrad(() => {
      const norms = params
        .map((p) => p.grad)
        .filter((g): g is Tensor => g !== null)
        .map((g) => g.square().sum().sqrt());
      return norms.length === 0 ? 0 : F.stack(norms).square().sum().sqrt().item();
    }),
  );
}

/** Scales the gradients in place so their global norm is at most maxNorm; returns the norm before clipping. */
export function clipGradNorm(params: Tensor[], maxNorm: number): number {
  if (!(maxNorm > 0)) throw new RangeError(`clipGradNorm: maxNorm must be positive, got ${maxNorm}`);
  const total = gradNorm(params);
  const coef = maxNorm / (total + 1e-6);
  if (coef < 1 && Number.isFinite(total)) {
    scope(() =>
      noGrad(() => {
        for (const p of params) p.grad?.mul_(coef);
      }),
    );
  }
  return total;
}

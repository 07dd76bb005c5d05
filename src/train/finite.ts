// The guard that keeps NaN weights out of checkpoints.
import { noGrad } from '../engine/autograd.js';
import { scope } from '../engine/scope.js';
import type { LatentModel } from '../models/types.js';

/** The name of the first parameter or buffer holding NaN/Inf, or null when every value is finite. */
export function firstNonFinite(model: LatentModel): string | null {
  return scope(() =>
    noGrad(() => {
      for (const [name, t] of model.stateDict()) {
        if (t.dtype !== 'float32' && t.dtype !== 'float64') continue;
        if (t.isfinite().float().min().item() < 1) return name;
      }
      return null;
    }),
  );
}

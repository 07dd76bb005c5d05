// Sanity check (Adebayo et al. 2018): an attribution that barely changes when the encoder's weights are
// replaced by random ones explains the input, not the model. The encoder is randomised (each parameter
// redrawn from a normal with its own trained standard deviation), the attribution recomputed, and the
// weights restored; per case we report the Spearman correlation of |attribution| and the SSIM of the two
// heatmaps (normalised to 0..1). Low values pass.
import { keep, noGrad, scope, type Tensor } from '../../engine/index.js';
import { seededNormal } from './seeded-noise.js';
import type { LatentModel } from '../../models/types.js';
import { mean, spearman } from '../../core/stats.js';
import { attribute, type AttributeOptions } from './attribute.js';
import { encoderLayers } from './gradcam.js';
import type { AttributionResult } from './types.js';

export interface SanityResult {
  method: string;
  /** Mean over cases of Spearman(|A_trained|, |A_random|). */
  rankCorrelation: number;
  /** Mean over cases of SSIM between the normalised heatmaps (channels side by side). */
  ssim: number;
  /** True when both are below 0.5: the attribution depends on the learned weights. */
  passed: boolean;
}

function ssim1d(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  const ma = mean(a),
    mb = mean(b);
  let va = 0,
    vb = 0,
    cov = 0;
  for (let i = 0; i < n; i++) {
    va += (a[i]! - ma) ** 2;
    vb += (b[i]! - mb) ** 2;
    cov += (a[i]! - ma) * (b[i]! - mb);
  }
  va /= n - 1;
  vb /= n - 1;
  cov /= n - 1;
  const c1 = 0.01 ** 2,
    c2 = 0.03 ** 2;
  return ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
}

function normalisedAbs(r: AttributionResult, i: number): Float64Array {
  const [, c, h, w] = r.shape;
  const len = c * h * w;
  const v = Float64Array.from(r.heatmaps.subarray(i * len, (i + 1) * len), Math.abs);
  let max = 0;
  for (const x of v) max = Math.max(max, x);
  if (max > 0) for (let j = 0; j < len; j++) v[j]! /= max;
  return v;
}

export function randomizedEncoderCheck(
  model: LatentModel,
  x: Tensor,
  options: AttributeOptions,
  trained?: AttributionResult,
  seed = 0,
): SanityResult {
  const original = trained ?? attribute(model, x, options);
  const params = encoderLayers(model, 'the randomised-encoder check').parameters();
  const saved = params.map((p) => keep(noGrad(() => p.clone())));
  let randomized: AttributionResult;
  try {
    noGrad(() =>
      scope(() => params.forEach((p, i) => p.copy_(seededNormal(seed, 'sanity', i, p.shape as number[]).mul(p.std().item() || 0.01)))),
    );
    randomized = attribute(model, x, options);
  } finally {
    noGrad(() => params.forEach((p, i) => p.copy_(saved[i]!)));
    for (const s of saved) s.dispose();
  }
  const n = x.shape[0]!;
  const rho: number[] = [],
    ss: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = normalisedAbs(original, i),
      b = normalisedAbs(randomized, i);
    rho.push(spearman(a, b));
    ss.push(ssim1d(a, b));
  }
  const rankCorrelation = mean(rho),
    ssim = mean(ss);
  return { method: options.method, rankCorrelation, ssim, passed: rankCorrelation < 0.5 && ssim < 0.5 };
}

// The record every attribution method returns, so reports and the explorer treat them alike.

import type { AttributionMethod } from './methods.js';

export type { AttributionMethod };

export interface AttributionResult {
  method: AttributionMethod;
  /** N x C x H x W, signed where the method is (gradient, IG); Grad-CAM repeats its spatial map over channels. */
  heatmaps: Float32Array;
  shape: [number, number, number, number];
  /**
   * N x C: each input channel's share of a case's attribution (rows sum to 1), the answer to "which input
   * image". For methods measured against a baseline (integrated gradients, gradient x input, occlusion,
   * channel occlusion) it is the net share: channel sums of the signed attribution, those agreeing in sign
   * with the total change of the target, normalised. By completeness these sums split f(x) - f(baseline)
   * exactly, so noise that pushes up here and down there cancels. For plain gradients and SmoothGrad
   * (no baseline) it equals `channelShareAbs`. Null for Grad-CAM, which is spatial only.
   */
  channelShare: Float32Array | null;
  /** N x C: share of the total |attribution| per channel: where the target is sensitive, signal or not. */
  channelShareAbs: Float32Array | null;
  /** The target per case at the input. */
  target: Float32Array;
  /** Integrated gradients: sum of attributions minus (f(x) - f(baseline)) per case; near 0 when converged. */
  convergenceDelta?: Float32Array;
  /** Settings used (steps, samples, noise, baseline, patch, layer...). */
  settings: Record<string, unknown>;
}

/** Per-case channel shares of the heatmaps: of |attribution| ('abs') or net as documented above ('net'). */
export function channelShares(heatmaps: Float32Array, shape: [number, number, number, number], kind: 'abs' | 'net'): Float32Array {
  const [n, c, h, w] = shape;
  const hw = h * w;
  const out = new Float32Array(n * c);
  const sums = new Float64Array(c);
  for (let i = 0; i < n; i++) {
    let total = 0;
    for (let ch = 0; ch < c; ch++) {
      let s = 0;
      const off = (i * c + ch) * hw;
      for (let p = 0; p < hw; p++) s += kind === 'abs' ? Math.abs(heatmaps[off + p]!) : heatmaps[off + p]!;
      sums[ch] = s;
      total += s;
    }
    const sign = kind === 'abs' || total >= 0 ? 1 : -1;
    let kept = 0;
    for (let ch = 0; ch < c; ch++) kept += Math.max(0, sign * sums[ch]!);
    for (let ch = 0; ch < c; ch++) out[i * c + ch] = kept > 0 ? Math.max(0, sign * sums[ch]!) / kept : 1 / c;
  }
  return out;
}

// Occlusion (Zeiler & Fergus 2014), per input channel: slide a patch over one channel at a time, replace
// it by the baseline, and credit the drop of the target to the patch's pixels (averaged where patches overlap).
import { noGrad, scope, tensor, type Tensor } from '../../engine/index.js';
import type { LatentModel } from '../../models/types.js';
import { targetOf, type MapTarget } from '../target.js';

export interface OcclusionOptions {
  patch?: number;
  stride?: number;
}

export function occlusion(model: LatentModel, x: Tensor, baseline: Tensor, target: MapTarget, o: OcclusionOptions = {}): Tensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const patch = o.patch ?? Math.max(2, Math.round(h / 8));
  const stride = o.stride ?? patch;
  return noGrad(() => {
    const base = targetOf(model, x, target).toFloat32();
    const xs = x.toFloat32(),
      bs = baseline.toFloat32();
    const sum = new Float32Array(n * c * h * w),
      count = new Float32Array(n * c * h * w);
    const starts = (size: number) => {
      const s: number[] = [];
      for (let p = 0; p + patch <= size; p += stride) s.push(p);
      if (s[s.length - 1]! + patch < size) s.push(size - patch);
      return s;
    };
    for (let ch = 0; ch < c; ch++) {
      for (const r0 of starts(h)) {
        for (const c0 of starts(w)) {
          const occluded = xs.slice();
          for (let i = 0; i < n; i++) {
            for (let r = r0; r < r0 + patch; r++) {
              const off = ((i * c + ch) * h + r) * w;
              for (let q = c0; q < c0 + patch; q++) occluded[off + q] = bs[off + q]!;
            }
          }
          const t = scope(() => targetOf(model, tensor(occluded, [n, c, h, w]), target).toFloat32());
          for (let i = 0; i < n; i++) {
            const drop = base[i]! - t[i]!;
            for (let r = r0; r < r0 + patch; r++) {
              const off = ((i * c + ch) * h + r) * w;
              for (let q = c0; q < c0 + patch; q++) {
                sum[off + q] += drop;
                count[off + q] += 1;
              }
            }
          }
        }
      }
    }
    for (let p = 0; p < sum.length; p++) sum[p] = count[p]! > 0 ? sum[p]! / count[p]! : 0;
    return tensor(sum, [n, c, h, w]);
  });
}

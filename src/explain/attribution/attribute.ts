// One call shape for every attribution method: attribute(model, inputs, { method, target, baseline, ... }).
import { F, noGrad, scope, tensor, type Tensor } from '../../engine/index.js';
import type { LatentModel } from '../../models/types.js';
import { targetOf, type MapTarget } from '../target.js';
import { makeBaseline, type BaselineKind } from './baseline.js';
import { gradCam } from './gradcam.js';
import { gradientAttribution, gradientTimesInput, integratedGradients, smoothGrad } from './gradients.js';
import { occlusion } from './occlusion.js';
import { channelShares, type AttributionMethod, type AttributionResult } from './types.js';

export interface AttributeOptions {
  method: AttributionMethod;
  target: MapTarget;
  /** Reference input: 'mean' (of the inputs, or meanImage; default), 'blur', 'zero', or explicit images. */
  baseline?: BaselineKind | Tensor;
  meanImage?: Tensor;
  /** Integrated gradients: path points. Default 32. */
  steps?: number;
  /** SmoothGrad: noisy samples and noise level (fraction of the value range). Default 25 and 0.15. */
  samples?: number;
  noise?: number;
  /** Grad-CAM: encoder layer index. Default the last activation before the latent. */
  layer?: number;
  /** Occlusion: patch side and stride in pixels. Default H/8 and the patch side (no overlap). */
  patch?: number;
  stride?: number;
  /** Cases per forward/backward pass. Default 32. */
  batchSize?: number;
  seed?: number;
}

const NET_METHODS = new Set<AttributionMethod>(['integrated-gradients', 'gradient-x-input', 'occlusion', 'channel-occlusion']);

/** Attributes the target map of each case to its input pixels, per input channel. */
export function attribute(model: LatentModel, inputs: Tensor, o: AttributeOptions): AttributionResult {
  model.eval();
  const [n, c, h, w] = inputs.shape as [number, number, number, number];
  const bs = o.batchSize ?? 32;
  const heat = new Float32Array(n * c * h * w);
  const target = new Float32Array(n);
  const delta = o.method === 'integrated-gradients' ? new Float32Array(n) : undefined;
  const meanImage = o.meanImage ?? (o.baseline === undefined || o.baseline === 'mean' ? inputs.mean(0) : undefined);
  const settings: Record<string, unknown> = { target: o.target, baseline: typeof o.baseline === 'object' ? 'custom' : (o.baseline ?? 'mean') };
  for (let start = 0; start < n; start += bs) {
    scope(() => {
      const len = Math.min(bs, n - start);
      const x = inputs.narrow(0, start, len);
      const b = o.baseline && typeof o.baseline !== 'string' ? o.baseline.narrow(0, start, len) : makeBaseline(x, { kind: o.baseline ?? 'mean', meanImage });
      let a: Tensor;
      switch (o.method) {
        case 'gradient': a = gradientAttribution(model, x, o.target); break;
        case 'gradient-x-input': a = gradientTimesInput(model, x, b, o.target); break;
        case 'integrated-gradients': {
          const r = integratedGradients(model, x, b, o.target, o.steps ?? 32);
          delta!.set(r.delta.toFloat32(), start);
          a = r.attribution;
          settings.steps = o.steps ?? 32;
          break;
        }
        case 'smoothgrad':
          a = smoothGrad(model, x, o.target, o.samples ?? 25, o.noise ?? 0.15, (o.seed ?? 0) + start);
          Object.assign(settings, { samples: o.samples ?? 25, noise: o.noise ?? 0.15 });
          break;
        case 'grad-cam': {
          const r = gradCam(model, x, o.target, o.layer);
          a = r.cam.expand(len, c, h, w);
          settings.layer = r.layer;
          break;
        }
        case 'occlusion':
          a = occlusion(model, x, b, o.target, { patch: o.patch, stride: o.stride });
          Object.assign(settings, { patch: o.patch ?? Math.max(2, Math.round(h / 8)) });
          break;
        case 'channel-occlusion': {
          // Mute each whole channel: its drop of the target, spread evenly over the channel's pixels.
          const t0 = noGrad(() => targetOf(model, x, o.target));
          const parts = Array.from({ length: c }, (_, ch) => noGrad(() => {
            const mask = tensor(Array.from({ length: c }, (_, j) => (j === ch ? 1 : 0)), [1, c, 1, 1]);
            const muted = x.mul(mask.neg().add(1)).add(b.mul(mask));
            return t0.sub(targetOf(model, muted, o.target)).div(h * w).reshape(len, 1, 1, 1).expand(len, 1, h, w);
          }));
          a = F.cat(parts, 1);
          break;
        }
        default: throw new Error(`unknown attribution method '${String(o.method)}'`);
      }
      heat.set(a.contiguous().toFloat32(), start * c * h * w);
      target.set(noGrad(() => targetOf(model, x, o.target)).toFloat32(), start);
    });
  }
  const shape: [number, number, number, number] = [n, c, h, w];
  return {
    method: o.method, heatmaps: heat, shape, target, convergenceDelta: delta, settings,
    channelShare: o.method === 'grad-cam' ? null : channelShares(heat, shape, NET_METHODS.has(o.method) ? 'net' : 'abs'),
    channelShareAbs: o.method === 'grad-cam' ? null : channelShares(heat, shape, 'abs'),
  };
}

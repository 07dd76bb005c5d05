// One call shape for every attribution method: attribute(model, inputs, { method, target, baseline, ... }).
import { noGrad, scope, type Tensor } from '../../engine/index.js';
import type { LatentModel } from '../../models/types.js';
import { targetOf, type MapTarget } from '../target.js';
import { makeBaseline, type BaselineKind } from './baseline.js';
import {
  ATTRIBUTION_METHOD_NAMES,
  ATTRIBUTION_METHODS,
  isAttributionMethod,
  unavailableReason,
  type AttributionMethodSpec,
  type MethodSettings,
} from './methods.js';
import { channelShares, type AttributionMethod, type AttributionResult } from './types.js';

export interface AttributeOptions extends MethodSettings {
  method: AttributionMethod;
  target: MapTarget;
  /** Reference input: 'mean' (of the inputs, or meanImage; default), 'blur', 'zero', or explicit images. */
  baseline?: BaselineKind | Tensor;
  meanImage?: Tensor;
  /** Cases per forward/backward pass. Default 32 (results do not depend on it). */
  batchSize?: number;
}

/** Attributes the target map of each case to its input pixels, per input channel. */
export function attribute(model: LatentModel, inputs: Tensor, o: AttributeOptions): AttributionResult {
  if (!isAttributionMethod(o.method))
    throw new Error(`unknown attribution method '${String(o.method)}' (one of ${ATTRIBUTION_METHOD_NAMES.join(', ')})`);
  const spec: AttributionMethodSpec = ATTRIBUTION_METHODS[o.method];
  const unavailable = unavailableReason(model, o.method);
  if (unavailable) throw new Error(unavailable);
  model.eval();
  const [n, c, h, w] = inputs.shape as [number, number, number, number];
  const bs = o.batchSize ?? 32;
  const heat = new Float32Array(n * c * h * w);
  const target = new Float32Array(n);
  const delta = o.method === 'integrated-gradients' ? new Float32Array(n) : undefined;
  const meanImage = o.meanImage ?? (o.baseline === undefined || o.baseline === 'mean' ? inputs.mean(0) : undefined);
  const settings: Record<string, unknown> = {
    target: o.target,
    baseline: typeof o.baseline === 'object' ? 'custom' : (o.baseline ?? 'mean'),
  };
  for (let start = 0; start < n; start += bs) {
    scope(() => {
      const len = Math.min(bs, n - start);
      const x = inputs.narrow(0, start, len);
      const b =
        o.baseline && typeof o.baseline !== 'string'
          ? o.baseline.narrow(0, start, len)
          : makeBaseline(x, { kind: o.baseline ?? 'mean', meanImage });
      const out = spec.run({ model, x, baseline: b, target: o.target, settings: o, firstCase: start });
      if (out.delta) delta!.set(out.delta.toFloat32(), start);
      Object.assign(settings, out.used);
      heat.set(out.attribution.contiguous().toFloat32(), start * c * h * w);
      target.set(noGrad(() => targetOf(model, x, o.target)).toFloat32(), start);
    });
  }
  const shape: [number, number, number, number] = [n, c, h, w];
  return {
    method: o.method,
    heatmaps: heat,
    shape,
    target,
    convergenceDelta: delta,
    settings,
    channelShare: spec.share === null ? null : channelShares(heat, shape, spec.share),
    channelShareAbs: spec.share === null ? null : channelShares(heat, shape, 'abs'),
  };
}

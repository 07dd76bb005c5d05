// Channel occlusion: mute one whole input channel (replace it by the baseline) and credit the drop of the
// target to that channel, spread evenly over its pixels: the coarsest "which input image" reading.
import { F, noGrad, tensor, type Tensor } from '../../engine/index.js';
import type { LatentModel } from '../../models/types.js';
import { targetOf, type MapTarget } from '../target.js';

export function channelOcclusion(model: LatentModel, x: Tensor, baseline: Tensor, target: MapTarget): Tensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const t0 = noGrad(() => targetOf(model, x, target));
  const parts = Array.from({ length: c }, (_, ch) =>
    noGrad(() => {
      const mask = tensor(
        Array.from({ length: c }, (_, j) => (j === ch ? 1 : 0)),
        [1, c, 1, 1],
      );
      const muted = x.mul(mask.neg().add(1)).add(baseline.mul(mask));
      return t0
        .sub(targetOf(model, muted, target))
        .div(h * w)
        .reshape(n, 1, 1, 1)
        .expand(n, 1, h, w);
    }),
  );
  return F.cat(parts, 1);
}

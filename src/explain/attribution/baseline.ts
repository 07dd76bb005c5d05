// Baselines ("what the input would be without its information"): zeros push the input out of the data
// distribution, which is one source of the false positives of naive muting; the dataset mean and a
// blurred copy stay closer to it.
import { F, tensor, type Tensor } from '../../engine/index.js';

export type BaselineKind = 'zero' | 'mean' | 'blur';

export interface BaselineOptions {
  kind: BaselineKind;
  /** Mean image C x H x W (for 'mean'); default: the mean of the inputs themselves. */
  meanImage?: Tensor;
  /** Standard deviation in pixels of the Gaussian blur (for 'blur'). Default 4. */
  sigma?: number;
}

function gaussianKernel(sigma: number): Tensor {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const s = k.reduce((a, b) => a + b, 0);
  return tensor(
    k.map((v) => v / s),
    [1, 1, 1, 2 * r + 1],
  );
}

/** Separable Gaussian blur of N x C x H x W images, each channel on its own, edges replicated. */
export function blur(x: Tensor, sigma: number): Tensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const k = gaussianKernel(sigma);
  const r = (k.shape[3]! - 1) / 2;
  const flat = x.reshape(n * c, 1, h, w);
  const padded = F.callAten('replication_pad2d', [flat, [r, r, r, r]]) as Tensor;
  const rows = F.conv2d(padded, k);
  return F.conv2d(rows, k.permute(0, 1, 3, 2)).reshape(n, c, h, w);
}

/** The baseline images for inputs x (same shape). */
export function makeBaseline(x: Tensor, o: BaselineOptions): Tensor {
  switch (o.kind) {
    case 'zero':
      return x.mul(0);
    case 'mean':
      return (o.meanImage ?? x.mean(0))
        .unsqueeze(0)
        .expand(...x.shape)
        .contiguous();
    case 'blur':
      return blur(x, o.sigma ?? 4);
  }
}

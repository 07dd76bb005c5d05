// Reconstruction quality: MSE, PSNR and SSIM (Wang et al. 2004) on N x C x H x W tensors.
import * as F from '../engine/functional.js';
import { noGrad } from '../engine/autograd.js';
import { scope } from '../engine/scope.js';
import { tensor, type Tensor } from '../engine/tensor.js';

export interface SsimOptions {
  /** Range of pixel values (max - min). Default 1. */
  dataRange?: number;
  /** Side of the Gaussian window, odd. Default 11 (shrunk to the image when the image is smaller). */
  windowSize?: number;
  /** Standard deviation of the Gaussian window. Default 1.5. */
  sigma?: number;
  /** Stabilising constants as fractions of the data range. Default 0.01 and 0.03. */
  k1?: number;
  k2?: number;
}

/** A normalised 1-D Gaussian of `size` taps. */
export function gaussianWindow(size: number, sigma: number): Float32Array {
  const w = new Float32Array(size);
  const c = (size - 1) / 2;
  let total = 0;
  for (let i = 0; i < size; i++) total += w[i] = Math.exp(-((i - c) ** 2) / (2 * sigma * sigma));
  for (let i = 0; i < size; i++) w[i]! /= total;
  return w;
}

/**
 * SSIM per image, averaged over channels and over 'valid' window positions (no padding), as in
 * Wang et al. and pytorch-msssim; the local statistics use the Gaussian window (population variance).
 * Returns one value per image (N).
 */
export function ssimPerImage(x: Tensor, y: Tensor, o: SsimOptions = {}): Float32Array {
  const [, c, h, w] = x.shape as [number, number, number, number];
  if (x.shape.join() !== y.shape.join()) throw new RangeError(`ssim: shapes [${x.shape}] and [${y.shape}] differ`);
  let size = o.windowSize ?? 11;
  size = Math.min(size, h - ((h + 1) % 2), w - ((w + 1) % 2));
  const g = gaussianWindow(size, o.sigma ?? 1.5);
  const kernel = new Float32Array(size * size);
  for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) kernel[i * size + j] = g[i]! * g[j]!;
  const L = o.dataRange ?? 1;
  const c1 = ((o.k1 ?? 0.01) * L) ** 2;
  const c2 = ((o.k2 ?? 0.03) * L) ** 2;
  return scope(() =>
    noGrad(() => {
      const win = tensor(kernel, [1, 1, size, size]).to('float64').expand(c, 1, size, size).contiguous();
      const filt = (t: Tensor) => F.conv2d(t, win, null, { groups: c });
      // float64: the variances are differences of nearly equal means, which float32 rounds to ~1e-7,
      // visible against C2 = 9e-4.
      const xf = x.to('float64'),
        yf = y.to('float64');
      const mx = filt(xf),
        my = filt(yf);
      const sxx = filt(xf.square()).sub(mx.square());
      const syy = filt(yf.square()).sub(my.square());
      const sxy = filt(xf.mul(yf)).sub(mx.mul(my));
      const lum = mx.mul(my).mul(2).add(c1).div(mx.square().add(my.square()).add(c1));
      const cs = sxy.mul(2).add(c2).div(sxx.add(syy).add(c2));
      return Float32Array.from(lum.mul(cs).flatten(1).mean(1).toNumbers());
    }),
  );
}

/** Mean SSIM over the images. */
export function ssim(x: Tensor, y: Tensor, o: SsimOptions = {}): number {
  const v = ssimPerImage(x, y, o);
  return v.reduce((a, b) => a + b, 0) / v.length;
}

/** Mean squared error over every pixel. */
export function mse(x: Tensor, y: Tensor): number {
  return scope(() => noGrad(() => F.mseLoss(x.float(), y.float()).item()));
}

/** Peak signal-to-noise ratio in dB from a mean squared error: 10 log10(range^2 / mse). */
export function psnrFromMse(meanSquaredError: number, dataRange = 1): number {
  return 10 * Math.log10((dataRange * dataRange) / Math.max(meanSquaredError, 1e-12));
}

/** PSNR of x against y over all pixels (one MSE over the whole batch, as torchmetrics computes by default). */
export function psnr(x: Tensor, y: Tensor, dataRange = 1): number {
  return psnrFromMse(mse(x, y), dataRange);
}

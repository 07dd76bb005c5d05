// Reconstruction quality: MSE, PSNR, SSIM (Wang et al. 2004) and MS-SSIM (Wang et al. 2003) on N x C x H x W tensors.
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
  const c = x.shape[1]!;
  const per = ssimTerms(x, y, o).ssim;
  return Float32Array.from({ length: per.length / c }, (_, i) => per.subarray(i * c, (i + 1) * c).reduce((a, b) => a + b, 0) / c);
}

/**
 * Per image and channel (N x C, row-major): SSIM, and its contrast-structure term alone (what MS-SSIM
 * multiplies over the finer scales). Every channel has as many windows, so an image's SSIM is the mean of its channels'.
 */
function ssimTerms(x: Tensor, y: Tensor, o: SsimOptions): { ssim: Float64Array; cs: Float64Array } {
  const [, c, h, w] = x.shape as [number, number, number, number];
  if (x.shape.join() !== y.shape.join()) throw new RangeError(`ssim: shapes [${x.shape}] and [${y.shape}] differ`);
  let size = o.windowSize ?? 11;
  size = Math.min(size, h - ((h + 1) % 2), w - ((w + 1) % 2));
  const g = gaussianWindow(size, o.sigma ?? 1.5);
  const L = o.dataRange ?? 1;
  const c1 = ((o.k1 ?? 0.01) * L) ** 2;
  const c2 = ((o.k2 ?? 0.03) * L) ** 2;
  return scope(() =>
    noGrad(() => {
      // float64: the variances are differences of nearly equal means, which float32 rounds to ~1e-7,
      // visible against C2 = 9e-4.
      const xf = x.to('float64'),
        yf = y.to('float64');
      // The five local means in one grouped filtering, the window as a row pass then a column pass (the
      // Gaussian is separable). A float64 2-D window goes through im2col, whose buffer is the image times
      // size^2: 1.7 GB for 13 two-channel 128 x 128 slices, paid in page faults at every validation.
      const k = 5 * c;
      const taps = tensor(g, [1, 1, 1, size]).to('float64');
      const row = taps.expand(k, 1, 1, size).contiguous();
      const col = taps.reshape(1, 1, size, 1).expand(k, 1, size, 1).contiguous();
      const stats = F.conv2d(F.conv2d(F.cat([xf, yf, xf.square(), yf.square(), xf.mul(yf)], 1), row, null, { groups: k }), col, null, {
        groups: k,
      });
      const part = (i: number) => stats.narrow(1, i * c, c);
      const mx = part(0),
        my = part(1);
      const sxx = part(2).sub(mx.square());
      const syy = part(3).sub(my.square());
      const sxy = part(4).sub(mx.mul(my));
      const lum = mx.mul(my).mul(2).add(c1).div(mx.square().add(my.square()).add(c1));
      const cs = sxy.mul(2).add(c2).div(sxx.add(syy).add(c2));
      return {
        ssim: Float64Array.from(lum.mul(cs).flatten(2).mean(2).flatten().toNumbers()),
        cs: Float64Array.from(cs.flatten(2).mean(2).flatten().toNumbers()),
      };
    }),
  );
}

/** Wang, Simoncelli & Bovik (2003): the weights of their five scales. */
export const MS_SSIM_WEIGHTS = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333];

export interface MsSsimOptions extends SsimOptions {
  /**
   * Scales (the image halved by 2 x 2 averaging between them). Default: as many of the five as keep the
   * coarsest image at least the window's side (28-32 px: 2 scales), with the first weights renormalised
   * to sum to 1; pytorch-msssim instead refuses images under 161 px for its five scales.
   */
  scales?: number;
}

/**
 * MS-SSIM per image: per channel, the contrast-structure terms of the finer scales and the full SSIM of
 * the coarsest, each to its weight's power (negative terms clamped to 0 so a power stays real), then the
 * mean over channels, as pytorch-msssim computes it. `scales` reports how many were used.
 */
export function msSsimPerImage(x: Tensor, y: Tensor, o: MsSsimOptions = {}): { values: Float32Array; scales: number } {
  const side = Math.min(x.shape[2]!, x.shape[3]!);
  const win = o.windowSize ?? 11;
  let fit = 1;
  while (fit < MS_SSIM_WEIGHTS.length && side / 2 ** fit >= win) fit++;
  const scales = o.scales ?? fit;
  if (!(Number.isInteger(scales) && scales >= 1 && scales <= MS_SSIM_WEIGHTS.length))
    throw new RangeError(`ms-ssim: scales must be 1 to ${MS_SSIM_WEIGHTS.length}, got ${scales}`);
  if (side / 2 ** (scales - 1) < 2) throw new RangeError(`ms-ssim: ${side} px cannot be halved ${scales - 1} times`);
  const total = MS_SSIM_WEIGHTS.slice(0, scales).reduce((a, b) => a + b, 0);
  const weights = MS_SSIM_WEIGHTS.slice(0, scales).map((v) => v / total);
  const [n, c] = [x.shape[0]!, x.shape[1]!];
  const perChannel = new Float64Array(n * c).fill(1);
  scope(() =>
    noGrad(() => {
      let a = x,
        b = y;
      for (let s = 0; s < scales; s++) {
        const t = ssimTerms(a, b, o);
        const term = s === scales - 1 ? t.ssim : t.cs;
        for (let i = 0; i < n * c; i++) perChannel[i]! *= Math.max(0, term[i]!) ** weights[s]!;
        if (s < scales - 1) {
          a = F.avgPool2d(a, 2);
          b = F.avgPool2d(b, 2);
        }
      }
    }),
  );
  const values = Float32Array.from({ length: n }, (_, i) => perChannel.subarray(i * c, (i + 1) * c).reduce((a, b) => a + b, 0) / c);
  return { values, scales };
}

/** Mean MS-SSIM over the images, with the scales used. */
export function msSsim(x: Tensor, y: Tensor, o: MsSsimOptions = {}): { value: number; scales: number } {
  const r = msSsimPerImage(x, y, o);
  return { value: r.values.reduce((p, q) => p + q, 0) / r.values.length, scales: r.scales };
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

// SSIM evaluated straight from its formula (Wang et al. 2004), window by window, for tests to check
// image-quality.ts against: the Gaussian-weighted means, variances and covariance of every valid window.
import { gaussianWindow } from '../../src/train/image-quality.js';

/** Per channel: mean SSIM and mean contrast-structure term over every valid S x S window. */
export function directSsim(xs: Float32Array, ys: Float32Array, C: number, H: number, W: number, S: number): { ssim: number; cs: number }[] {
  const g = gaussianWindow(S, 1.5);
  const [c1, c2] = [0.01 ** 2, 0.03 ** 2];
  const out: { ssim: number; cs: number }[] = [];
  for (let c = 0; c < C; c++) {
    let ss = 0,
      cs = 0,
      count = 0;
    for (let i = 0; i + S <= H; i++) {
      for (let j = 0; j + S <= W; j++) {
        let mx = 0,
          my = 0,
          xx = 0,
          yy = 0,
          xy = 0;
        for (let u = 0; u < S; u++) {
          for (let v = 0; v < S; v++) {
            const w = g[u]! * g[v]!,
              k = (c * H + i + u) * W + j + v;
            mx += w * xs[k]!;
            my += w * ys[k]!;
            xx += w * xs[k]! ** 2;
            yy += w * ys[k]! ** 2;
            xy += w * xs[k]! * ys[k]!;
          }
        }
        const [vx, vy, cxy] = [xx - mx * mx, yy - my * my, xy - mx * my];
        const s = (2 * cxy + c2) / (vx + vy + c2);
        cs += s;
        ss += ((2 * mx * my + c1) / (mx * mx + my * my + c1)) * s;
        count++;
      }
    }
    out.push({ ssim: ss / count, cs: cs / count });
  }
  return out;
}

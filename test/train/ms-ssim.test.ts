// MS-SSIM (Wang, Simoncelli & Bovik 2003) against a direct evaluation of its formula: the mean
// contrast-structure term at full resolution and the full SSIM of the 2 x 2-averaged images, each to its
// renormalised weight, per channel, then averaged over channels; identical images give 1, one scale is SSIM.
import assert from 'node:assert/strict';
import test from 'node:test';
import { Random } from '../../src/core/random.js';
import { tensor } from '../../src/engine/index.js';
import { MS_SSIM_WEIGHTS, msSsim, msSsimPerImage, ssim } from '../../src/train/image-quality.js';
import { directSsim } from '../helpers/direct-ssim.js';

function halve(a: Float32Array, C: number, H: number, W: number): Float32Array {
  const out = new Float32Array(C * (H / 2) * (W / 2));
  for (let c = 0; c < C; c++)
    for (let i = 0; i < H / 2; i++)
      for (let j = 0; j < W / 2; j++) {
        const k = (c * H + 2 * i) * W + 2 * j;
        out[(c * (H / 2) + i) * (W / 2) + j] = (a[k]! + a[k + 1]! + a[k + W]! + a[k + W + 1]!) / 4;
      }
  return out;
}

test('MS-SSIM equals the direct two-scale evaluation; identical images give 1; one scale is SSIM', () => {
  const rnd = new Random(11);
  const [C, H, W, S] = [2, 24, 24, 7];
  const xs = Float32Array.from({ length: C * H * W }, () => rnd.next());
  const ys = Float32Array.from(xs, (v) => Math.min(1, Math.max(0, v + 0.3 * (rnd.next() - 0.5))));
  const x = tensor(xs, [1, C, H, W]),
    y = tensor(ys, [1, C, H, W]);
  const got = msSsim(x, y, { windowSize: S });
  assert.equal(got.scales, 2, '24 px halves once before the 7-px window no longer fits');
  const [w0, w1] = [MS_SSIM_WEIGHTS[0]!, MS_SSIM_WEIGHTS[1]!];
  const fine = directSsim(xs, ys, C, H, W, S),
    coarse = directSsim(halve(xs, C, H, W), halve(ys, C, H, W), C, H / 2, W / 2, S);
  // Per channel, then the mean over channels (pytorch-msssim's order).
  const want =
    (fine[0]!.cs ** (w0 / (w0 + w1)) * coarse[0]!.ssim ** (w1 / (w0 + w1)) +
      fine[1]!.cs ** (w0 / (w0 + w1)) * coarse[1]!.ssim ** (w1 / (w0 + w1))) /
    2;
  assert.ok(Math.abs(got.value - want) < 1e-4, `ms-ssim ${got.value} vs direct ${want}`);
  assert.ok(Math.abs(msSsim(x, x, { windowSize: S }).value - 1) < 1e-6);
  assert.ok(Math.abs(msSsim(x, y, { windowSize: S, scales: 1 }).value - ssim(x, y, { windowSize: S })) < 1e-6);
  // More noise, lower MS-SSIM; per image in batch order.
  const zs = Float32Array.from(xs, (v) => Math.min(1, Math.max(0, v + 0.8 * (rnd.next() - 0.5))));
  const both = msSsimPerImage(
    tensor(Float32Array.from([...ys, ...zs]), [2, C, H, W]),
    tensor(Float32Array.from([...xs, ...xs]), [2, C, H, W]),
    { windowSize: S },
  );
  assert.ok(both.values[0]! > both.values[1]!, `${both.values[0]} > ${both.values[1]}`);
  assert.throws(() => msSsim(x, y, { scales: 6 }), /scales must be 1 to 5/);
  assert.throws(() => msSsim(x, y, { scales: 5 }), /24 px cannot be halved 4 times/);
});

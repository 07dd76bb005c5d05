// Known answers for the trainer's parts: LR schedules, gradient clipping, SSIM and PSNR.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { full, tensor } from '../../src/engine/tensor.js';
import { lrFactor, type ScheduleOptions } from '../../src/train/schedule.js';
import { clipGradNorm, gradNorm } from '../../src/train/clip.js';
import { psnr, ssim, ssimPerImage } from '../../src/train/image-quality.js';
import { directSsim } from '../helpers/direct-ssim.js';
import { Random } from '../../src/core/random.js';
import { assertClose } from '../helpers/close.js';

const sched = (o: Partial<ScheduleOptions>): ScheduleOptions => ({
  kind: 'constant',
  warmupSteps: 0,
  totalSteps: 100,
  minLrRatio: 0,
  stepSize: 10,
  gamma: 0.1,
  ...o,
});

test('LR schedules: linear warmup, cosine to its floor, step decay', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5, 50].map((s) => lrFactor(s, sched({ warmupSteps: 4 }))),
    [0.25, 0.5, 0.75, 1, 1, 1],
  );
  const cos = sched({ kind: 'cosine', warmupSteps: 3, totalSteps: 14, minLrRatio: 0.1 });
  assertClose(
    [3, 4, 9, 14].map((s) => lrFactor(s, cos)),
    [1, 1, 0.1 + 0.9 * 0.5, 0.1],
    1e-12,
    1e-12,
    'cosine',
  );
  assert.ok(lrFactor(6, cos) > lrFactor(7, cos));
  const st = sched({ kind: 'step', stepSize: 3, gamma: 0.5 });
  assert.deepEqual(
    [1, 3, 4, 6, 7, 10].map((s) => lrFactor(s, st)),
    [1, 1, 0.5, 0.5, 0.25, 0.125],
  );
});

test('clipping by global norm bounds the norm and keeps the direction', () => {
  const a = tensor([0, 0], [2]).requiresGrad_(),
    b = tensor([0], [1]).requiresGrad_(),
    c = tensor([1], [1]).requiresGrad_();
  a.grad = tensor([3, 4], [2]);
  b.grad = tensor([12], [1]);
  assert.ok(Math.abs(gradNorm([a, b, c]) - 13) < 1e-5, 'c has no gradient and is skipped');
  assert.ok(Math.abs(clipGradNorm([a, b, c], 20) - 13) < 1e-5);
  assertClose(a.grad!.toNumbers(), [3, 4], 0, 1e-6, 'under the bound: unchanged');
  assert.ok(Math.abs(clipGradNorm([a, b, c], 1) - 13) < 1e-5, 'returns the norm before clipping');
  assertClose([...a.grad!.toNumbers(), ...b.grad!.toNumbers()], [3 / 13, 4 / 13, 12 / 13], 1e-5, 1e-7, 'scaled to norm 1');
  assert.ok(Math.abs(gradNorm([a, b]) - 1) < 1e-5);
});

test('PSNR and SSIM: known values', () => {
  const zeros = full([2, 1, 16, 16], 0),
    tenth = full([2, 1, 16, 16], 0.1);
  assert.ok(Math.abs(psnr(tenth, zeros) - 20) < 1e-4, 'MSE 0.01 is 20 dB');
  assert.ok(Math.abs(psnr(tenth, zeros, 2) - 20 * Math.log10(2 / 0.1)) < 1e-4);
  const rnd = new Random(3);
  const img = tensor(
    Float32Array.from({ length: 3 * 2 * 20 * 20 }, () => rnd.next()),
    [3, 2, 20, 20],
  );
  assertClose(ssimPerImage(img, img), [1, 1, 1], 0, 1e-5, 'identical images');
  // Constant images: the structure term is exactly 1, the luminance term (2ab + C1) / (a^2 + b^2 + C1).
  const c1 = 0.01 ** 2;
  const want = (2 * 0.2 * 0.6 + c1) / (0.2 ** 2 + 0.6 ** 2 + c1);
  assert.ok(Math.abs(ssim(full([1, 1, 16, 16], 0.2), full([1, 1, 16, 16], 0.6)) - want) < 1e-5);
  const inverted = img.mul(-1).add(1);
  assert.ok(ssim(img, inverted) < 0, 'an inverted image is anti-correlated');
});

test('SSIM matches a direct evaluation of the formula over every window', () => {
  const rnd = new Random(8);
  const [C, H, W, S] = [2, 13, 12, 11];
  const xs = Float32Array.from({ length: C * H * W }, () => rnd.next());
  const ys = Float32Array.from(xs, (v) => Math.min(1, Math.max(0, v + 0.2 * (rnd.next() - 0.5))));
  // Every channel has as many windows, so the image's SSIM is the mean of its channels'.
  const perChannel = directSsim(xs, ys, C, H, W, S);
  const want = perChannel.reduce((t, ch) => t + ch.ssim, 0) / C;
  const got = ssim(tensor(xs, [1, C, H, W]), tensor(ys, [1, C, H, W]));
  assert.ok(Math.abs(got - want) < 1e-4, `ssim ${got} vs direct ${want}`);
  assert.ok(got > 0.3 && got < 0.99);
});

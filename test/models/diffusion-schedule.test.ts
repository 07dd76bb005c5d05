// Known answers of the noise schedules and of the forward process q(x_t | x_0) (src/models/diffusion/schedule.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generator, noGrad, randn, scope, setNumThreads, tensor } from '../../src/engine/index.js';
import { qSample } from '../../src/models/diffusion/ddim.js';
import { COSINE_MAX_BETA, cosineF, ddimTimesteps, makeSchedule } from '../../src/models/diffusion/schedule.js';
import { atMost, testSeed } from '../helpers/margin.js';

setNumThreads(1);

test('linear schedule: DDPM betas 1e-4..0.02, alpha-bar the product of 1 - beta (alpha-bar_999 = 4.04e-5 as published)', () => {
  const s = makeSchedule({ kind: 'linear', steps: 1000 });
  assert.equal(s.betas[0], 1e-4);
  assert.ok(Math.abs(s.betas[999]! - 0.02) < 1e-15);
  let logSum = 0;
  for (let t = 0; t < 1000; t++) {
    logSum += Math.log1p(-s.betas[t]!);
    assert.ok(Math.abs(s.alphaBar[t]! / Math.exp(logSum) - 1) < 1e-12, `alpha-bar_${t}`);
    if (t > 0) assert.ok(s.alphaBar[t]! < s.alphaBar[t - 1]!, 'alpha-bar decreases');
  }
  // Ho et al.'s schedule ends at alpha-bar 4.036e-5 (signal std 0.0064): x_T is noise to 0.6 %.
  assert.ok(s.alphaBar[999]! > 4.03e-5 && s.alphaBar[999]! < 4.04e-5, `alpha-bar_999 = ${s.alphaBar[999]}`);
});

test('cosine schedule: alpha-bar_t = f(t+1) / f(0) until the 0.999 beta clip (Nichol & Dhariwal)', () => {
  const T = 1000;
  const s = makeSchedule({ kind: 'cosine', steps: T });
  const firstClip = s.betas.findIndex((b) => b >= COSINE_MAX_BETA);
  assert.ok(firstClip === -1 || firstClip >= 990, `first clipped beta at ${firstClip}`);
  const end = firstClip === -1 ? T : firstClip;
  for (let t = 0; t < end; t++) {
    const closed = cosineF(t + 1, T) / cosineF(0, T);
    assert.ok(Math.abs(s.alphaBar[t]! / closed - 1) < 1e-9, `alpha-bar_${t}: ${s.alphaBar[t]} vs ${closed}`);
  }
  // Half way the cosine schedule keeps more signal than the linear one (its point).
  assert.ok(s.alphaBar[500]! > makeSchedule({ kind: 'linear' }).alphaBar[500]!);
});

test('q(x_t | x_0) by Monte Carlo: mean sqrt(ab) x_0 and variance 1 - ab within 5 standard errors', () => {
  const s = makeSchedule();
  const n = 40000;
  const x0v = [-0.8, 0, 0.3, 0.9];
  scope(() =>
    noGrad(() => {
      const x0 = tensor(
        Float32Array.from({ length: n * 4 }, (_, i) => x0v[i % 4]!),
        [n, 4],
      );
      for (const [k, t] of [50, 400, 999].entries()) {
        const ab = s.alphaBar[t]!;
        const noise = randn([n, 4], { generator: generator(testSeed(100 + k)) });
        const xt = qSample(x0, noise, new Array<number>(n).fill(ab));
        const mean = xt.mean(0).toNumbers();
        const variance = xt.var(0).toNumbers();
        const meanTol = 5 * Math.sqrt((1 - ab) / n);
        const varTol = 5 * (1 - ab) * Math.sqrt(2 / n);
        x0v.forEach((v, j) => {
          atMost(Math.abs(mean[j]! - Math.sqrt(ab) * v), meanTol, `q(x_${t}) mean, x_0 = ${v}`);
          atMost(Math.abs(variance[j]! - (1 - ab)), varTol, `q(x_${t}) variance, x_0 = ${v}`);
        });
      }
    }),
  );
});

test('DDIM grid: N ascending timesteps from 0 to T-1', () => {
  const s = makeSchedule();
  for (const n of [2, 10, 20, 50, 1000]) {
    const ts = ddimTimesteps(s, n);
    assert.equal(ts.length, n);
    assert.equal(ts[0], 0);
    assert.equal(ts[n - 1], 999);
    for (let i = 1; i < n; i++) assert.ok(ts[i]! > ts[i - 1]!);
  }
  assert.throws(() => ddimTimesteps(s, 1), /2\.\.1000/);
});

// TCAV's statistics and CAV solver: the version-1 t-test (kept in the result for comparison) against
// values from scipy.stats 1.17 (t.cdf, ttest_ind with equal_var=False, special.betainc) and closed
// forms; the Wilson bound of the probe gate; the CAV fitted in the span of its rows equals the one
// fitted on the rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { regularizedIncompleteBeta, studentTCdf, twoSidedP, welchTTest, logGamma, wilsonLowerBound } from '../../src/core/stats.js';
import { CavFitter } from '../../src/explain/tcav/cav.js';
import { Random } from '../../src/core/random.js';

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

test('Student-t CDF and two-sided p match scipy', () => {
  const cases: [number, number, number, number][] = [
    // t, df, cdf, two-sided p
    [2.0, 10, 0.9633059826146299, 0.07338803477074037],
    [2.228138852, 10, 0.975, 0.05],
    [-0.5, 3, 0.3257239824240755, 0.651447964848151],
    [3.5, 4.7, 0.9904352032498618, 0.019129593500276435],
    [0.1, 100, 0.5397277344520743, 0.9205445310958512],
    [12.0, 2.5, 0.9985818924849609, 0.0028362150300783244],
    [2.5, 30, 0.9909421754659666, 0.01811564906806669],
  ];
  for (const [t, df, cdf, p] of cases) {
    close(studentTCdf(t, df), cdf, 1e-10, `cdf(${t}, ${df})`);
    close(twoSidedP(t, df), p, 1e-10, `p(${t}, ${df})`);
  }
});

test('closed forms: df = 1 is Cauchy, df = 2 is t / (2 sqrt(2 + t^2)) + 1/2', () => {
  for (const t of [-3, -0.7, 0, 0.4, 1, 5]) {
    close(studentTCdf(t, 1), 0.5 + Math.atan(t) / Math.PI, 1e-12, `cauchy ${t}`);
    close(studentTCdf(t, 2), 0.5 + t / (2 * Math.sqrt(2 + t * t)), 1e-12, `df2 ${t}`);
  }
});

test('incomplete beta and log gamma match scipy', () => {
  close(regularizedIncompleteBeta(0.3, 2.5, 3.5), 0.29675298929566646, 1e-12, 'I(0.3; 2.5, 3.5)');
  close(regularizedIncompleteBeta(0.9, 0.5, 0.5), 0.7951672353008665, 1e-12, 'I(0.9; .5, .5)');
  close(regularizedIncompleteBeta(0.4, 10, 20), 0.7853183897628262, 1e-12, 'I(0.4; 10, 20)');
  close(logGamma(5), Math.log(24), 1e-12, 'lgamma 5');
  close(logGamma(0.5), 0.5 * Math.log(Math.PI), 1e-12, 'lgamma 1/2');
});

test('Welch t-test matches scipy ttest_ind(equal_var=False)', () => {
  const r = welchTTest([0.8, 0.9, 0.85, 0.95, 0.7, 0.75], [0.5, 0.6, 0.4, 0.55, 0.45, 0.52, 0.48]);
  close(r.t, 7.138773756916599, 1e-9, 't');
  close(r.df, 8.79846792897553, 1e-9, 'df');
  close(r.p, 6.0964996679608515e-5, 1e-12, 'p');
  assert.deepEqual(welchTTest([1, 1, 1], [1, 1]), { t: 0, df: 3, p: 1 });
  assert.equal(welchTTest([1, 1, 1], [0, 0]).p, 0);
});

test('Wilson lower bound of a proportion', () => {
  // (p + z^2/2n - z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n), z = 1.96; 8/10 gives the textbook 0.490.
  close(wilsonLowerBound(8, 10), 0.49015684672072346, 1e-12, '8/10');
  close(wilsonLowerBound(90, 120), 0.6655869783172575, 1e-12, '90/120');
  close(wilsonLowerBound(20, 20), 0.8388698745050667, 1e-12, '20/20');
  assert.equal(wilsonLowerBound(0, 20), 0);
  assert.ok(Number.isNaN(wilsonLowerBound(0, 0)));
});

test('a CAV fitted in the span of its rows equals the one fitted on the rows', () => {
  // 60 features: 70 training rows are more than the dimensions, so the fit is on the rows; the same
  // data padded with 68 constant columns (standardised to 0, so the optimum is unchanged) has 128
  // dimensions and is fitted through the Gram matrix's Cholesky factor. A case in both sets makes the
  // Gram matrix singular, which the factorisation must survive.
  const rnd = new Random(11);
  const n = 200,
    d = 60,
    pad = 128;
  const x = Float32Array.from({ length: n * d }, (_, i) => rnd.normal() + (Math.floor(i / d) < 100 && i % d < 3 ? 1.5 : 0));
  const padded = new Float32Array(n * pad);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) padded[i * pad + j] = x[i * d + j]!;
  const o = { l2: 0.01, testFraction: 0.3 };
  const positive = Int32Array.from({ length: 50 }, (_, i) => i);
  const negative = Int32Array.from({ length: 50 }, (_, i) => (i === 0 ? 3 : 100 + i));
  const a = new CavFitter(x, d, o).fit(positive, negative, new Random(1));
  const b = new CavFitter(padded, pad, o).fit(positive, negative, new Random(1));
  let dot = 0;
  for (let j = 0; j < d; j++) dot += a.direction[j]! * b.direction[j]!;
  for (let j = d; j < pad; j++) assert.equal(b.direction[j], 0);
  close(dot, 1, 1e-4, 'cos(primal, span)');
  assert.equal(a.accuracy, b.accuracy);
  assert.ok(a.accuracy > 0.6, `accuracy ${a.accuracy}`);
});

// The t-test behind TCAV's significance, against values from scipy.stats 1.17 (t.cdf, ttest_ind with
// equal_var=False, special.betainc) and closed forms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { regularizedIncompleteBeta, studentTCdf, twoSidedP, welchTTest, logGamma } from '../../src/explain/tcav/stats.js';

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

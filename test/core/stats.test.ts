// The Student t quantile and tail against published values (scipy.stats.t.ppf / t.sf, to the digits given).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalQuantile, studentTCdf, tCritical, tQuantile, tUpperTail } from '../../src/core/stats.js';

const near = (got: number, want: number, tol: number, what: string) =>
  assert.ok(Math.abs(got - want) <= tol, `${what}: ${got}, expected ${want}`);

test('t quantiles: the textbook table and beyond it', () => {
  near(tCritical(1), 12.7062047, 1e-6, 't(0.975, 1)');
  near(tCritical(4), 2.7764451, 1e-6, 't(0.975, 4)');
  near(tCritical(18, 0.99), 2.8784405, 1e-6, 't(0.995, 18)');
  near(tCritical(1000), 1.9623391, 1e-6, 't(0.975, 1000)');
  near(tCritical(1e7), normalQuantile(0.975), 1e-5, 't(0.975, 1e7) -> the normal quantile');
  // Round trip through the CDF, including a non-integer df and the lower tail.
  for (const [p, df] of [
    [0.9995, 2.5],
    [0.6, 7],
    [0.01, 30],
  ] as const)
    near(studentTCdf(tQuantile(p, df), df), p, 1e-10, `cdf(quantile(${p}, ${df}))`);
  assert.ok(Number.isNaN(tQuantile(1, 3)) && Number.isNaN(tCritical(0)));
});

test('t upper tail: moderate and far tails without cancellation', () => {
  near(tUpperTail(2, 10), 0.036694, 1e-6, 'P(T10 >= 2)');
  near(tUpperTail(-2, 10), 1 - 0.036694, 1e-6, 'P(T10 >= -2)');
  // Far tail: P(T >= t) ~ c t^-df; for df 1, P(T >= t) = atan(1/t) / pi exactly.
  near(tUpperTail(1e6, 1) / (Math.atan(1e-6) / Math.PI), 1, 1e-9, 'P(T1 >= 1e6) relative');
  assert.equal(tUpperTail(Infinity, 5), 0);
  assert.equal(tUpperTail(-Infinity, 5), 1);
});

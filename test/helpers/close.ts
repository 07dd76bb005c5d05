// Numeric assertions shared by the tests.
import assert from 'node:assert/strict';

/** Asserts |a - b| <= atol + rtol * |b| elementwise, naming the first index that differs. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol = 1e-5, atol = 1e-6, what = 'values'): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} vs ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!,
      b = expected[i]!;
    if (!(Math.abs(a - b) <= atol + rtol * Math.abs(b))) {
      assert.fail(`${what}[${i}]: ${a} differs from expected ${b} (rtol ${rtol}, atol ${atol})`);
    }
  }
}

// AUC, Benjamini–Hochberg, KS and t critical values with hand-checked answers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Random } from '../../src/core/random.js';
import { auc, benjaminiHochberg, ksUniform, tCritical } from '../../src/core/stats.js';

test('AUC: perfect, inverted, ties count half', () => {
  assert.equal(auc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]), 1);
  assert.equal(auc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1]), 0);
  assert.equal(auc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1]), 0.5);
  // One positive (0.4) beats one of two negatives (0.3) and loses to 0.6: 1/2; 0.7 beats both: 2/2.
  assert.equal(auc([0.3, 0.6, 0.4, 0.7], [0, 0, 1, 1]), 0.75);
});

test('Benjamini–Hochberg matches the textbook example', () => {
  const q = benjaminiHochberg([0.01, 0.04, 0.03, 0.005]);
  // sorted p: .005 .01 .03 .04 -> p*m/k: .02 .02 .04 .04, monotone from the top.
  assert.deepEqual(
    Array.from(q).map((v) => +v.toFixed(6)),
    [0.02, 0.04, 0.04, 0.02],
  );
});

test('KS: uniform passes, skewed fails; t critical values', () => {
  const rng = new Random(1);
  const u = Array.from({ length: 500 }, () => rng.next());
  assert.ok(ksUniform(u).p > 0.05);
  assert.ok(ksUniform(u.map((v) => v * v)).p < 1e-6);
  assert.ok(Math.abs(tCritical(4) - 2.776) < 5e-4);
  assert.ok(Math.abs(tCritical(200) - 1.972) < 0.002);
});

// Concept activation vectors: an L2-regularised logistic regression separating a concept's
// activations from a random set's; the CAV is the normal of its decision boundary, pointing toward the
// concept, in the raw activation space (where the label head's gradients live).
import type { Random } from '../../data/random.js';
import { accuracy, fitLogistic } from '../../metrics/linear.js';

export interface Cav {
  /** Unit vector, length D, toward the concept. */
  direction: Float64Array;
  /** Accuracy on the held-out part of both sets. */
  accuracy: number;
}

export interface CavOptions {
  /** L2 penalty on the standardised weights. Default 0.01. */
  l2: number;
  /** Held-out fraction of each set. Default 0.3. */
  testFraction: number;
}

/**
 * Fits a CAV on activations `x` (N x D, row-major) for `positive` (concept) against `negative`
 * (random) cases. A case in both sets counts once per set, as Kim et al.'s random sets may contain
 * concept images.
 */
export function fitCav(x: Float32Array, d: number, positive: ArrayLike<number>, negative: ArrayLike<number>, o: CavOptions, rnd: Random): Cav {
  const split = (set: ArrayLike<number>) => {
    const perm = rnd.permutation(set.length);
    const nTest = Math.max(1, Math.round(set.length * o.testFraction));
    return { test: Array.from(perm.subarray(0, nTest), (i) => set[i]!), train: Array.from(perm.subarray(nTest), (i) => set[i]!) };
  };
  const p = split(positive);
  const q = split(negative);
  // Rows of the design matrix: training positives, training negatives, then the held-out ones.
  const order = [...p.train, ...q.train, ...p.test, ...q.test];
  const y = Int32Array.from([...p.train.map(() => 1), ...q.train.map(() => 0), ...p.test.map(() => 1), ...q.test.map(() => 0)]);
  const data = new Float32Array(order.length * d);
  order.forEach((i, r) => data.set(x.subarray(i * d, (i + 1) * d), r * d));
  const m = { data, rows: order.length, cols: d };
  const nTrain = p.train.length + q.train.length;
  const model = fitLogistic(m, y, 2, { l2: o.l2, maxIter: 100, rows: Array.from({ length: nTrain }, (_, r) => r) });
  const direction = new Float64Array(d);
  let norm = 0;
  for (let j = 0; j < d; j++) { direction[j] = model.weights[d + j]! - model.weights[j]!; norm += direction[j]! ** 2; }
  norm = Math.sqrt(norm);
  if (norm > 0) for (let j = 0; j < d; j++) direction[j] /= norm;
  const testRows = Array.from({ length: order.length - nTrain }, (_, r) => nTrain + r);
  return { direction, accuracy: accuracy(model, m, y, testRows) };
}

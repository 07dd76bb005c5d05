// Shared test helpers for the forest tests.
import type { TreeParams } from '../../src/forest/tree.js';

/** Tree parameters of a fully grown two-class Gini tree drawing 6 candidates per node, with bootstrap. */
export const giniTreeParams: TreeParams = {
  regression: false,
  nClasses: 2,
  criterion: 'gini',
  mtry: 6,
  maxDepth: Infinity,
  minSamplesSplit: 2,
  minSamplesLeaf: 1,
  minImpurityDecrease: 0,
  bootstrap: true,
  maxSamples: 0,
};

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 on erf, |error| < 1.5e-7). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

// The per-case test both verdicts share: a statistic pooled per evaluated case, its t-interval and
// one-sided p-value, and the BH q-values and stars across maps.

import { benjaminiHochberg, mean, std, tCritical, tUpperTail } from '../../core/stats.js';
import type { ImportanceTest } from './types.js';

/** A test before the q-values across maps are known. */
export type CaseTestResult = Omit<ImportanceTest, 'qValue' | 'significant'>;

/** The cases some forest evaluated, and how often each was evaluated (cvRepeats > 1 evaluates a case more than once). */
export interface EvaluatedCases {
  /** Rows evaluated at least once, ascending. */
  rows: Int32Array;
  /** Evaluations of every row (0 for rows never evaluated). */
  count: Int32Array;
  /** All rows. */
  n: number;
}

/** Map g's statistic per evaluated case: `sum[g * n + r]` averaged over the evaluations of case r. */
export function perCaseMeans(sum: Float64Array, g: number, cases: EvaluatedCases): Float64Array {
  const { rows, count, n } = cases;
  const out = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = sum[g * n + rows[i]] / count[rows[i]];
  return out;
}

/**
 * The per-case test of one map: mean of `d`, sd, t-interval at `level`, and the one-sided p-value of
 * mean > 0 from Student's t with n - 1 degrees of freedom. When sd is 0 the test is degenerate:
 * p = 0 if the mean is positive, else 1.
 */
export function caseTest(d: ArrayLike<number>, level: number): CaseTestResult {
  const nc = d.length;
  let nChanged = 0;
  for (let i = 0; i < nc; i++) if (d[i] !== 0) nChanged++;
  const m = mean(d);
  const s = std(d);
  const se = nc > 1 ? s / Math.sqrt(nc) : 0;
  if (!(se > 0)) {
    return {
      mean: m,
      std: s,
      ciLow: m,
      ciHigh: m,
      t: m > 0 ? Infinity : m < 0 ? -Infinity : 0,
      pValue: m > 0 && nc > 1 ? 0 : 1,
      nCases: nc,
      nChanged,
    };
  }
  const t = m / se;
  const df = nc - 1;
  const half = tCritical(df, level) * se;
  return { mean: m, std: s, ciLow: m - half, ciHigh: m + half, t, pValue: tUpperTail(t, df), nCases: nc, nChanged };
}

/** BH q-values across the maps of one test, and the star: q <= fdr AND an interval above zero. */
export function withSignificance(tests: CaseTestResult[], fdr: number): ImportanceTest[] {
  const q = benjaminiHochberg(tests.map((t) => t.pValue));
  return tests.map((t, g) => ({ ...t, qValue: q[g], significant: q[g] <= fdr && t.ciLow > 0 }));
}

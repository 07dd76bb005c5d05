// Ground-truth factors as the metrics see them: every factor gets integer class codes (discrete factors
// their distinct values, continuous ones quantile bins), because MIG, modularity, SAP's discrete case,
// explicitness and the "fixed factor" groups of the beta-VAE and FactorVAE scores all need classes.
import type { Matrix } from './linear.js';

/** Factors of N samples: N x F row-major values, with names and (optionally) which are discrete. */
export interface FactorTable {
  names: string[];
  /** Row-major N x F: factor f of sample i is `values[i * F + f]`. */
  values: ArrayLike<number>;
  /**
   * Whether each factor is discrete (categorical or a count). Default: a factor with at most
   * `maxDiscreteValues` distinct values is discrete.
   */
  discrete?: boolean[];
}

/** One factor prepared for the metrics. */
export interface PreparedFactor {
  name: string;
  discrete: boolean;
  /** Raw values, length N. */
  values: Float64Array;
  /** Class code of each sample, 0..classes-1. */
  codes: Int32Array;
  classes: number;
}

/** Matrix from a latent Float32Array N x D. */
export function asMatrix(data: ArrayLike<number>, rows: number, cols: number): Matrix {
  if (data.length !== rows * cols) throw new RangeError(`matrix of ${rows} x ${cols} needs ${rows * cols} values, got ${data.length}`);
  return { data, rows, cols };
}

/** Codes by distinct value (ascending). */
function distinctCodes(v: Float64Array): { codes: Int32Array; classes: number } {
  const uniq = [...new Set(v)].sort((a, b) => a - b);
  const at = new Map(uniq.map((u, i) => [u, i]));
  return { codes: Int32Array.from(v, (x) => at.get(x)!), classes: uniq.length };
}

/**
 * Equal-frequency bins: cut points at the k/bins quantiles, duplicates dropped, so ties never straddle
 * a cut (a factor with a point mass, e.g. radius 0 when absent, gets fewer, uneven bins).
 */
export function quantileCodes(v: ArrayLike<number>, bins: number): { codes: Int32Array; classes: number } {
  const sorted = Float64Array.from(v).sort();
  const n = sorted.length;
  const cuts: number[] = [];
  for (let k = 1; k < bins; k++) {
    const c = sorted[Math.min(n - 1, Math.floor((k * n) / bins))]!;
    if (c > sorted[0]! && (cuts.length === 0 || c > cuts[cuts.length - 1]!)) cuts.push(c);
  }
  // Code = number of cuts <= value: values equal to a cut fall in the upper bin.
  const codes = Int32Array.from(v, (x) => {
    let lo = 0,
      hi = cuts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cuts[mid]! <= x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  });
  return { codes, classes: cuts.length + 1 };
}

/** Equal-width bins over [min, max] (as np.histogram, used by disentanglement_lib's MIG). */
export function equalWidthCodes(v: ArrayLike<number>, bins: number): Int32Array {
  let lo = Infinity,
    hi = -Infinity;
  for (let i = 0; i < v.length; i++) {
    lo = Math.min(lo, v[i]!);
    hi = Math.max(hi, v[i]!);
  }
  const w = hi - lo;
  return Int32Array.from(v as ArrayLike<number>, (x) => (w > 0 ? Math.min(bins - 1, Math.floor(((x - lo) / w) * bins)) : 0));
}

export function prepareFactors(f: FactorTable, n: number, o: { factorBins: number; maxDiscreteValues: number }): PreparedFactor[] {
  const nf = f.names.length;
  if (f.values.length !== n * nf) throw new RangeError(`factors: ${f.values.length} values for ${n} samples x ${nf} factors`);
  if (f.discrete && f.discrete.length !== nf) throw new RangeError(`factors: ${f.discrete.length} discrete flags for ${nf} factors`);
  return f.names.map((name, k) => {
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) values[i] = f.values[i * nf + k]!;
    const distinct = distinctCodes(values);
    const discrete = f.discrete?.[k] ?? distinct.classes <= o.maxDiscreteValues;
    const { codes, classes } = discrete ? distinct : quantileCodes(values, o.factorBins);
    return { name, discrete, values, codes, classes };
  });
}

/** Column j of a row-major matrix. */
export function column(x: Matrix, j: number): Float64Array {
  const out = new Float64Array(x.rows);
  for (let i = 0; i < x.rows; i++) out[i] = x.data[i * x.cols + j]!;
  return out;
}

/** Discrete entropy (nats) of codes with `classes` values. */
export function entropy(codes: ArrayLike<number>, classes: number): number {
  const count = new Float64Array(classes);
  for (let i = 0; i < codes.length; i++) count[codes[i]!]++;
  let h = 0;
  for (const c of count)
    if (c > 0) {
      const p = c / codes.length;
      h -= p * Math.log(p);
    }
  return h;
}

/** Plug-in mutual information (nats) between two code vectors. */
export function mutualInformation(a: ArrayLike<number>, ka: number, b: ArrayLike<number>, kb: number): number {
  const n = a.length;
  const joint = new Float64Array(ka * kb);
  const pa = new Float64Array(ka);
  const pb = new Float64Array(kb);
  for (let i = 0; i < n; i++) {
    joint[a[i]! * kb + b[i]!]++;
    pa[a[i]!]++;
    pb[b[i]!]++;
  }
  let mi = 0;
  for (let x = 0; x < ka; x++) {
    for (let y = 0; y < kb; y++) {
      const c = joint[x * kb + y]!;
      if (c > 0) mi += (c / n) * Math.log((c * n) / (pa[x]! * pb[y]!));
    }
  }
  return Math.max(0, mi);
}

/** Seeded train/test split of 0..n-1 (test fraction `testFraction`), each part ascending. */
export function splitRows(
  n: number,
  testFraction: number,
  rnd: { permutation(n: number): Int32Array },
): { train: Int32Array; test: Int32Array } {
  const perm = rnd.permutation(n);
  const nTest = Math.max(1, Math.min(n - 1, Math.round(n * testFraction)));
  return { test: perm.slice(0, nTest).sort(), train: perm.slice(nTest).sort() };
}

/** Population variance of each column. */
export { columnVariance } from '../core/table.js';

// Small statistics used by the explanation methods: ranks, Spearman correlation, bootstrap intervals.
import { Random } from '../core/random.js';

/** Ranks 1..n with ties given their average rank. */
export function ranks(v: ArrayLike<number>): Float64Array {
  const n = v.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => v[a]! - v[b]!);
  const r = new Float64Array(n);
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && v[idx[j + 1]!] === v[idx[i]!]) j++;
    for (let k = i; k <= j; k++) r[idx[k]!] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0,
    mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0,
    saa = 0,
    sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma,
      db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  // A constant vector carries no order: report no correlation rather than NaN.
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}

export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return pearson(ranks(a), ranks(b));
}

/** Percentile bootstrap interval of the mean of `values` (seeded). */
export function bootstrapMeanCI(values: ArrayLike<number>, level = 0.95, resamples = 1000, seed = 0): [number, number] {
  const n = values.length;
  if (n === 0) return [NaN, NaN];
  const rnd = new Random(seed);
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += values[rnd.int(n)]!;
    means[b] = s / n;
  }
  means.sort();
  const lo = Math.floor(((1 - level) / 2) * resamples),
    hi = Math.ceil(((1 + level) / 2) * resamples) - 1;
  return [means[lo]!, means[Math.min(hi, resamples - 1)]!];
}

export const meanOf = (v: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]!;
  return v.length ? s / v.length : NaN;
};

// Per-map summaries of the features that the ranking reports beside its verdicts: each map's pooled value
// (the mean of its columns, as the conditional sampler uses) against the label and against the other maps.
import { auc } from '../../core/stats.js';
import { mapMeans } from './cpi.js';
import type { Table } from '../../core/table.js';

const pooledMeans = (f: Table): Float64Array => mapMeans(f.data, f.rows, f.cols, Int32Array.from(f.groupOf), f.groupNames.length);

/** |Pearson r| from which a map counts as correlated with another (rank-warnings.ts's calibration warning). */
export const CORRELATED = 0.3;

/** Per map: the largest |Pearson correlation| of its pooled value with another map's. */
export function maxAbsCorrelation(features: Table): Float64Array {
  const n = features.rows;
  const G = features.groupNames.length;
  const pooled = pooledMeans(features);
  for (let g = 0; g < G; g++) {
    const s = pooled.subarray(g * n, (g + 1) * n);
    let m = 0;
    for (let r = 0; r < n; r++) m += s[r];
    m /= n;
    let ss = 0;
    for (let r = 0; r < n; r++) {
      s[r] -= m;
      ss += s[r] * s[r];
    }
    const norm = Math.sqrt(ss) || 1;
    for (let r = 0; r < n; r++) s[r] /= norm;
  }
  const out = new Float64Array(G);
  for (let a = 0; a < G; a++)
    for (let b = a + 1; b < G; b++) {
      let dot = 0;
      for (let r = 0; r < n; r++) dot += pooled[a * n + r] * pooled[b * n + r];
      const v = Math.abs(dot);
      if (v > out[a]) out[a] = v;
      if (v > out[b]) out[b] = v;
    }
  return out;
}

/**
 * Univariate baseline: AUC of each map's pooled value (the mean of its columns) — for two classes
 * against class index 1, otherwise the macro average of one-vs-rest AUCs.
 */
export function univariateAucs(features: Table, yIdx: ArrayLike<number>, K: number): Float64Array {
  const n = features.rows;
  const G = features.groupNames.length;
  const pooled = pooledMeans(features);
  const out = new Float64Array(G);
  for (let g = 0; g < G; g++) {
    const s = pooled.subarray(g * n, (g + 1) * n);
    if (K === 2)
      out[g] = auc(
        s,
        Array.from(yIdx, (v) => (v === 1 ? 1 : 0)),
      );
    else {
      let sum = 0;
      for (let k = 0; k < K; k++)
        sum += auc(
          s,
          Array.from(yIdx, (v) => (v === k ? 1 : 0)),
        );
      out[g] = sum / K;
    }
  }
  return out;
}

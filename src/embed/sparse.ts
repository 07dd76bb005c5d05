// Symmetric sparse affinity graphs (CSR) built from per-row kNN weights, shared by t-SNE (P + P^T)
// and UMAP (fuzzy union A + A^T - A∘A^T).

export interface Csr {
  n: number;
  /** Row i's entries are at indptr[i] .. indptr[i+1]-1 (columns ascending). */
  indptr: Int32Array;
  indices: Int32Array;
  values: Float64Array;
}

/**
 * Symmetrises directed kNN weights w(i -> j) (N x k, `cols` the neighbour indices) into a CSR
 * matrix with entry combine(w(i->j), w(j->i)), a missing direction counted as 0. Zero results are kept
 * out. Each row's columns come out ascending, so the graph (and everything seeded downstream) is
 * independent of hash or insertion order.
 */
export function symmetrizeKnn(
  n: number,
  k: number,
  cols: Int32Array,
  weights: Float64Array,
  combine: (a: number, b: number) => number,
): Csr {
  // Transposed directed graph first, so both directions of a pair can be looked up in one merge.
  const tCount = new Int32Array(n + 1);
  for (let e = 0; e < n * k; e++) tCount[cols[e] + 1]++;
  for (let i = 0; i < n; i++) tCount[i + 1] += tCount[i];
  const tFill = tCount.slice(0, n);
  const tSrc = new Int32Array(n * k);
  const tW = new Float64Array(n * k);
  for (let i = 0; i < n; i++)
    for (let a = 0; a < k; a++) {
      const e = i * k + a;
      const j = cols[e];
      tSrc[tFill[j]] = i;
      tW[tFill[j]++] = weights[e];
    }
  const forward = new Float64Array(n);
  const backward = new Float64Array(n);
  const seen = new Uint8Array(n);
  const rowCols = new Int32Array(2 * k + n);
  const indptr = new Int32Array(n + 1);
  let indices = new Int32Array(2 * n * k);
  let values = new Float64Array(2 * n * k);
  let nnz = 0;
  for (let i = 0; i < n; i++) {
    let m = 0;
    for (let a = 0; a < k; a++) {
      const j = cols[i * k + a];
      if (j === i) continue;
      forward[j] += weights[i * k + a];
      if (!seen[j]) {
        seen[j] = 1;
        rowCols[m++] = j;
      }
    }
    for (let t = tCount[i]; t < tCount[i + 1]; t++) {
      const j = tSrc[t];
      if (j === i) continue;
      backward[j] += tW[t];
      if (!seen[j]) {
        seen[j] = 1;
        rowCols[m++] = j;
      }
    }
    const row = rowCols.subarray(0, m).sort();
    for (let a = 0; a < m; a++) {
      const j = row[a];
      const v = combine(forward[j], backward[j]);
      forward[j] = 0;
      backward[j] = 0;
      seen[j] = 0;
      if (v === 0) continue;
      indices[nnz] = j;
      values[nnz++] = v;
    }
    indptr[i + 1] = nnz;
  }
  indices = indices.slice(0, nnz);
  values = values.slice(0, nnz);
  return { n, indptr, indices, values };
}

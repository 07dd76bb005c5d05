// Trustworthiness (Venna & Kaski 2001), exactly as sklearn.manifold.trustworthiness defines it:
//   T(k) = 1 - 2 / (N k (2N - 3k - 1)) * sum_i sum_{j in embedded kNN(i)} max(0, r(i, j) - k)
// where r(i, j) is j's rank among i's neighbours in the input space (1 = nearest). Rather than sort
// every input row (O(N^2 log N)), each embedded neighbour's input rank is counted in one pass over
// that row: O(N^2 (D + k)) time and O(N) memory. Ties rank by index (numpy's argsort order is unspecified).

export function trustworthiness(
  data: Float32Array | Float64Array,
  n: number,
  d: number,
  embedding: Float32Array | Float64Array,
  e: number,
  k = 5,
): number {
  if (!Number.isInteger(k) || k < 1 || k >= n / 2) throw new RangeError(`trustworthiness needs 1 <= k < N/2, got k = ${k} for N = ${n}`);
  if (embedding.length !== n * e) throw new RangeError(`embedding has ${embedding.length} values, expected ${n} x ${e}`);
  const inputDist = new Float64Array(n);
  const nearDist = new Float64Array(k);
  const nearIdx = new Int32Array(k);
  let penalty = 0;
  for (let i = 0; i < n; i++) {
    // k nearest in the embedding, self excluded (kept as a small sorted list).
    nearDist.fill(Infinity);
    nearIdx.fill(-1);
    const oe = i * e;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      let s = 0;
      for (let c = 0; c < e; c++) {
        const t = embedding[oe + c] - embedding[j * e + c];
        s += t * t;
      }
      if (s >= nearDist[k - 1]) continue;
      let p = k - 1;
      while (p > 0 && nearDist[p - 1] > s) {
        nearDist[p] = nearDist[p - 1];
        nearIdx[p] = nearIdx[p - 1];
        p--;
      }
      nearDist[p] = s;
      nearIdx[p] = j;
    }
    const od = i * d;
    for (let j = 0; j < n; j++) {
      let s = 0;
      const oj = j * d;
      for (let c = 0; c < d; c++) {
        const t = data[od + c] - data[oj + c];
        s += t * t;
      }
      inputDist[j] = s;
    }
    inputDist[i] = Infinity;
    for (let a = 0; a < k; a++) {
      const j = nearIdx[a];
      const dj = inputDist[j];
      let rank = 1;
      for (let l = 0; l < n; l++) {
        const dl = inputDist[l];
        if (dl < dj || (dl === dj && l < j)) rank++;
      }
      if (rank > k) penalty += rank - k;
    }
  }
  return 1 - penalty * (2 / (n * k * (2 * n - 3 * k - 1)));
}

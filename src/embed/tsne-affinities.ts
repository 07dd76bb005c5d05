// t-SNE input affinities as scikit-learn 1.2 computes them: exact kNN over min(N-1, 3*perplexity+1)
// neighbours, a per-row binary search on the Gaussian precision to hit the perplexity (squared
// distances, entropy in nats, tolerance 1e-5, 100 steps), then P = (P + P^T) / sum.
import { exactKnn } from './knn.js';
import { symmetrizeKnn, type Csr } from './sparse.js';

export function perplexityAffinities(data: Float32Array | Float64Array, n: number, d: number, perplexity: number, threads = 1): Csr {
  const k = Math.min(n - 1, Math.floor(3 * perplexity + 1));
  const knn = exactKnn(data, n, d, k, threads);
  const conditional = new Float64Array(n * k);
  const desiredEntropy = Math.log(perplexity);
  for (let i = 0; i < n; i++) {
    const off = i * k;
    let beta = 1;
    let betaMin = -Infinity;
    let betaMax = Infinity;
    for (let step = 0; step < 100; step++) {
      let sumP = 0;
      for (let a = 0; a < k; a++) {
        const p = Math.exp(-knn.sqDistances[off + a] * beta);
        conditional[off + a] = p;
        sumP += p;
      }
      if (sumP === 0) sumP = 1e-8;
      let sumDistP = 0;
      for (let a = 0; a < k; a++) {
        conditional[off + a] /= sumP;
        sumDistP += knn.sqDistances[off + a] * conditional[off + a];
      }
      const diff = Math.log(sumP) + beta * sumDistP - desiredEntropy;
      if (Math.abs(diff) <= 1e-5) break;
      if (diff > 0) {
        betaMin = beta;
        beta = betaMax === Infinity ? beta * 2 : (beta + betaMax) / 2;
      } else {
        betaMax = beta;
        beta = betaMin === -Infinity ? beta / 2 : (beta + betaMin) / 2;
      }
    }
  }
  const p = symmetrizeKnn(n, k, knn.indices, conditional, (a, b) => a + b);
  let total = 0;
  for (let e = 0; e < p.values.length; e++) total += p.values[e];
  total = Math.max(total, 2.220446049250313e-16);
  for (let e = 0; e < p.values.length; e++) p.values[e] /= total;
  return p;
}

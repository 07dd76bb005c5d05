// Well-separated Gaussian clusters with known labels, and a 2-D kNN classifier to score how well an
// embedding keeps them apart.
import { Random } from '../../src/core/random.js';

export function gaussianClusters(
  perCluster: number,
  clusters: number,
  d: number,
  separation: number,
  seed: number,
): { data: Float32Array; labels: Int32Array; n: number } {
  const rng = new Random(seed);
  const n = perCluster * clusters;
  const centres = Array.from({ length: clusters }, () => Array.from({ length: d }, () => rng.normal(0, separation)));
  const data = new Float32Array(n * d);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % clusters;
    labels[i] = c;
    for (let j = 0; j < d; j++) data[i * d + j] = centres[c][j] + rng.normal();
  }
  return { data, labels, n };
}

/** Leave-one-out accuracy of a k-nearest-neighbour vote in the 2-D embedding. */
export function knnAccuracy(coords: Float32Array, labels: Int32Array, k = 5): number {
  const n = labels.length;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const order = Array.from({ length: n }, (_, j) => j)
      .filter((j) => j !== i)
      .sort(
        (a, b) =>
          Math.hypot(coords[2 * a] - coords[2 * i], coords[2 * a + 1] - coords[2 * i + 1]) -
          Math.hypot(coords[2 * b] - coords[2 * i], coords[2 * b + 1] - coords[2 * i + 1]),
      );
    const votes = new Map<number, number>();
    for (const j of order.slice(0, k)) votes.set(labels[j], (votes.get(labels[j]) ?? 0) + 1);
    const best = [...votes].sort((a, b) => b[1] - a[1])[0][0];
    if (best === labels[i]) correct++;
  }
  return correct / n;
}

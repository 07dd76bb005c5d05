// Barnes-Hut t-SNE gradient (Student-t, one degree of freedom), term for term as scikit-learn's
// _barnes_hut_tsne: attractive forces over the sparse P, repulsive forces summarised by quadtree cells
// whose width^2 / distance^2 < theta^2, self and exact duplicates skipped, gradient scaled by 4.
import type { QuadTreeArrays } from './quadtree.js';
import type { Csr } from './sparse.js';

const DUPLICATE_EPS = 1e-6;

/**
 * Repulsive forces of points start..end-1 into negForce (2 per point) and each point's share of the
 * normaliser Z into sumQ; kept per point so the total does not depend on how the range is split.
 */
export function repulsiveForces(
  tree: QuadTreeArrays,
  y: Float64Array,
  theta: number,
  start: number,
  end: number,
  negForce: Float64Array,
  sumQ: Float64Array,
  stack: Int32Array,
): void {
  const theta2 = theta * theta;
  const { massX, massY, count, child, halfX, halfY } = tree;
  for (let i = start; i < end; i++) {
    const xi = y[2 * i],
      yi = y[2 * i + 1];
    let fx = 0,
      fy = 0,
      z = 0;
    let sp = 0;
    stack[sp++] = 0;
    while (sp > 0) {
      const node = stack[--sp];
      const cnt = count[node];
      if (cnt === 0) continue;
      const dx = xi - massX[node],
        dy = yi - massY[node];
      const d2 = dx * dx + dy * dy;
      const first = child[node];
      if (first < 0) {
        if (d2 <= DUPLICATE_EPS) continue;
      } else {
        const w = 2 * (halfX[node] > halfY[node] ? halfX[node] : halfY[node]);
        if (w * w >= theta2 * d2) {
          stack[sp++] = first;
          stack[sp++] = first + 1;
          stack[sp++] = first + 2;
          stack[sp++] = first + 3;
          continue;
        }
      }
      const q = 1 / (1 + d2);
      const cq = cnt * q;
      z += cq;
      const m = cq * q;
      fx += m * dx;
      fy += m * dy;
    }
    negForce[2 * i] = fx;
    negForce[2 * i + 1] = fy;
    sumQ[i] = z;
  }
}

/**
 * Attractive forces sum_j p_ij q_ij (y_i - y_j) of points start..end-1 into posForce (2 per point), P
 * scaled by `exaggeration`; per point, so the pass splits over threads without changing a bit.
 */
export function attractiveForces(p: Csr, y: Float64Array, exaggeration: number, start: number, end: number, posForce: Float64Array): void {
  const { indptr, indices, values } = p;
  for (let i = start; i < end; i++) {
    const xi = y[2 * i],
      yi = y[2 * i + 1];
    let fx = 0,
      fy = 0;
    for (let e = indptr[i]; e < indptr[i + 1]; e++) {
      const j = indices[e];
      const dx = xi - y[2 * j],
        dy = yi - y[2 * j + 1];
      const q = 1 / (1 + dx * dx + dy * dy);
      const f = values[e] * exaggeration * q;
      fx += f * dx;
      fy += f * dy;
    }
    posForce[2 * i] = fx;
    posForce[2 * i + 1] = fy;
  }
}

/**
 * Full gradient into `grad` from the attractive and repulsive parts; returns the KL divergence (P scaled
 * by `exaggeration`) when `withError` (else NaN), measured with the Barnes-Hut estimate of Z.
 */
export function combineGradient(
  p: Csr,
  y: Float64Array,
  exaggeration: number,
  posForce: Float64Array,
  negForce: Float64Array,
  sumQ: Float64Array,
  grad: Float64Array,
  withError: boolean,
): number {
  const n = p.n;
  let z = 0;
  for (let i = 0; i < n; i++) z += sumQ[i];
  const invZ = 1 / z;
  for (let c = 0; c < 2 * n; c++) grad[c] = 4 * (posForce[c] - negForce[c] * invZ);
  if (!withError) return NaN;
  const { indptr, indices, values } = p;
  let kl = 0;
  for (let i = 0; i < n; i++) {
    const xi = y[2 * i],
      yi = y[2 * i + 1];
    for (let e = indptr[i]; e < indptr[i + 1]; e++) {
      const j = indices[e];
      const dx = xi - y[2 * j],
        dy = yi - y[2 * j + 1];
      const q = 1 / (1 + dx * dx + dy * dy);
      const pij = values[e] * exaggeration;
      kl += pij * Math.log(Math.max(pij, 1.1754944e-38) / Math.max(q * invZ, 1.1754944e-38));
    }
  }
  return kl;
}

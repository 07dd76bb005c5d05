// Barnes-Hut t-SNE gradient (Student-t, one degree of freedom) with scikit-learn's _barnes_hut_tsne
// terms: attractive forces over the sparse P; repulsive forces from quadtree cells summarised by their
// centre of mass when width < theta * distance, leaves exact, self and exact duplicates skipped; gradient
// scaled by 4. The repulsion walks the tree once per group of nearby points (QuadTree.group), not once
// per point: a cell is summarised for the whole group when width < theta * (distance from the group's
// centre of mass - the group's radius), which every member then meets under the per-point test, so no
// member sees a coarser cell than a per-point walk would let it. The walk writes the accepted cells into
// flat lists that each member sums over, which is where the time goes.
import type { PointGroups, QuadTreeArrays } from './quadtree.js';
import type { Csr } from './sparse.js';

const DUPLICATE_EPS = 1e-6;

/** A thread's working memory for the repulsion (grows as needed). */
export class RepulsionScratch {
  stack: Int32Array = new Int32Array(1024);
  /** Accepted cells and leaves as (centre of mass x, y, count) triples. */
  cells: Float64Array = new Float64Array(3 * 512);
  leaves: Float64Array = new Float64Array(3 * 512);
  /** The four lanes' running sums (fx, fy, z each) of one member. */
  lanes: Float64Array = new Float64Array(12);
}

/** Writes the triple (x, y, count) at `at`, first growing the list if it is full; returns the list. */
function append(list: Float64Array, at: number, x: number, y: number, count: number): Float64Array {
  if (at + 3 > list.length) {
    const bigger = new Float64Array(2 * list.length);
    bigger.set(list);
    list = bigger;
  }
  list[at] = x;
  list[at + 1] = y;
  list[at + 2] = count;
  return list;
}

/**
 * Repulsive forces of group g's members into negForce (2 per point) and each member's share of the
 * normaliser Z into sumQ; each point's sums depend only on the tree and its group, so any split of the
 * groups over threads gives the same bits.
 */
export function groupRepulsion(
  tree: QuadTreeArrays,
  groups: PointGroups,
  y: Float64Array,
  theta: number,
  g: number,
  negForce: Float64Array,
  sumQ: Float64Array,
  scratch: RepulsionScratch,
): void {
  const { massX, massY, count, child, width } = tree;
  const from = groups.start[g],
    to = groups.start[g + 1];
  const { members } = groups;
  const cell = groups.cell[g];
  const gx = massX[cell],
    gy = massY[cell];
  let r2 = 0;
  for (let k = from; k < to; k++) {
    const i = members[k];
    const dx = y[2 * i] - gx,
      dy = y[2 * i + 1] - gy;
    const d2 = dx * dx + dy * dy;
    if (d2 > r2) r2 = d2;
  }
  const radius = Math.sqrt(r2);
  // width < theta * (distance - radius), squared and without a root; theta 0 never summarises.
  const reachPerWidth = 1 / theta;
  let { stack, cells, leaves } = scratch;
  let nc = 0,
    nl = 0,
    sp = 0;
  stack[sp++] = 0;
  while (sp > 0) {
    const node = stack[--sp];
    const cnt = count[node];
    if (cnt === 0) continue;
    const first = child[node];
    if (first < 0) {
      leaves = scratch.leaves = append(leaves, nl, massX[node], massY[node], cnt);
      nl += 3;
      continue;
    }
    const dx = gx - massX[node],
      dy = gy - massY[node];
    const reach = width[node] * reachPerWidth + radius;
    if (dx * dx + dy * dy > reach * reach) {
      cells = scratch.cells = append(cells, nc, massX[node], massY[node], cnt);
      nc += 3;
      continue;
    }
    if (sp + 4 > stack.length) {
      const s = new Int32Array(2 * stack.length);
      s.set(stack);
      stack = scratch.stack = s;
    }
    stack[sp++] = first;
    stack[sp++] = first + 1;
    stack[sp++] = first + 2;
    stack[sp++] = first + 3;
  }
  const L = scratch.lanes;
  for (let k = from; k < to; k++) {
    const i = members[k];
    const xi = y[2 * i],
      yi = y[2 * i + 1];
    // Four running sums (lanes, L[3 j ..] = fx, fy, z): cell pair j of each run of eight cells, then
    // leaf j of each run of four leaves, goes to lane j, the rest to lane 0; the lanes are added
    // (0 + 1) + (2 + 3). The compiled twin (native/embed-tsne.cc) holds them in vector registers.
    L.fill(0);
    let a = 0;
    for (; a + 24 <= nc; a += 24) for (let j = 0; j < 4; j++) cellPair(cells, a + 6 * j, xi, yi, L, 3 * j);
    for (; a + 6 <= nc; a += 6) cellPair(cells, a, xi, yi, L, 0);
    for (; a < nc; a += 3) cellTerm(cells, a, xi, yi, L, 0);
    let b = 0;
    for (; b + 12 <= nl; b += 12) for (let j = 0; j < 4; j++) leafTerm(leaves, b + 3 * j, xi, yi, L, 3 * j);
    for (; b < nl; b += 3) leafTerm(leaves, b, xi, yi, L, 0);
    negForce[2 * i] = L[0] + L[3] + (L[6] + L[9]);
    negForce[2 * i + 1] = L[1] + L[4] + (L[7] + L[10]);
    sumQ[i] = L[2] + L[5] + (L[8] + L[11]);
  }
}

/** Two cells (x, y, count triples at a and a + 3) with one division into lane L[l ..]: q_a = u_b / (u_a u_b). */
function cellPair(c: Float64Array, a: number, xi: number, yi: number, L: Float64Array, l: number): void {
  const dx = xi - c[a],
    dy = yi - c[a + 1];
  const ex = xi - c[a + 3],
    ey = yi - c[a + 4];
  const u = 1 + dx * dx + dy * dy,
    v = 1 + ex * ex + ey * ey;
  const r = 1 / (u * v);
  const q = v * r,
    s = u * r;
  const cq = c[a + 2] * q,
    cs = c[a + 5] * s;
  const m = cq * q,
    o = cs * s;
  L[l + 2] += cq + cs;
  L[l] += m * dx + o * ex;
  L[l + 1] += m * dy + o * ey;
}

/** One cell (triple at a) into lane L[l ..]. */
function cellTerm(c: Float64Array, a: number, xi: number, yi: number, L: Float64Array, l: number): void {
  const dx = xi - c[a],
    dy = yi - c[a + 1];
  const q = 1 / (1 + dx * dx + dy * dy);
  const cq = c[a + 2] * q;
  const m = cq * q;
  L[l + 2] += cq;
  L[l] += m * dx;
  L[l + 1] += m * dy;
}

/** One leaf (triple at a) into lane L[l ..], skipped within DUPLICATE_EPS (the point itself, a duplicate). */
function leafTerm(c: Float64Array, a: number, xi: number, yi: number, L: Float64Array, l: number): void {
  const dx = xi - c[a],
    dy = yi - c[a + 1];
  const d2 = dx * dx + dy * dy;
  if (d2 <= DUPLICATE_EPS) return;
  const q = 1 / (1 + d2);
  const cq = c[a + 2] * q;
  const m = cq * q;
  L[l + 2] += cq;
  L[l] += m * dx;
  L[l + 1] += m * dy;
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
    const end = indptr[i + 1];
    let e = indptr[i];
    for (; e + 1 < end; e += 2) {
      const j = indices[e],
        k = indices[e + 1];
      const dx = xi - y[2 * j],
        dy = yi - y[2 * j + 1];
      const ex = xi - y[2 * k],
        ey = yi - y[2 * k + 1];
      const u = 1 + dx * dx + dy * dy,
        v = 1 + ex * ex + ey * ey;
      const r = 1 / (u * v);
      const f = values[e] * exaggeration * (v * r),
        g = values[e + 1] * exaggeration * (u * r);
      fx += f * dx + g * ex;
      fy += f * dy + g * ey;
    }
    if (e < end) {
      const j = indices[e];
      const dx = xi - y[2 * j],
        dy = yi - y[2 * j + 1];
      const f = (values[e] * exaggeration) / (1 + dx * dx + dy * dy);
      fx += f * dx;
      fy += f * dy;
    }
    posForce[2 * i] = fx;
    posForce[2 * i + 1] = fy;
  }
}

/**
 * The layout's part of the KL divergence, sum_j v_ij log(1 + |y_i - y_j|^2) over P's unscaled values,
 * of points start..end-1 into `terms`; computed with the attraction on the force threads, so the
 * convergence checks' logarithms are split like the rest of the pass.
 */
export function klTerms(p: Csr, y: Float64Array, start: number, end: number, terms: Float64Array): void {
  const { indptr, indices, values } = p;
  for (let i = start; i < end; i++) {
    const xi = y[2 * i],
      yi = y[2 * i + 1];
    let t = 0;
    for (let e = indptr[i]; e < indptr[i + 1]; e++) {
      const j = indices[e];
      const dx = xi - y[2 * j],
        dy = yi - y[2 * j + 1];
      t += values[e] * Math.log(1 + dx * dx + dy * dy);
    }
    terms[i] = t;
  }
}

const FLOAT32_TINY = 1.1754944e-38;

/** The KL divergence's parts that depend only on P: sum p_ij log max(p_ij, tiny) and sum p_ij, p_ij = exaggeration * v_ij. */
export function klConstants(p: Csr, exaggeration: number): { pLogP: number; mass: number } {
  let pLogP = 0,
    mass = 0;
  for (const v of p.values) {
    const pij = v * exaggeration;
    pLogP += pij * Math.log(Math.max(pij, FLOAT32_TINY));
    mass += pij;
  }
  return { pLogP, mass };
}

/** Gradient 4 (attraction - repulsion / Z) into `grad`; returns Z. */
export function combineGradient(posForce: Float64Array, negForce: Float64Array, sumQ: Float64Array, grad: Float64Array): number {
  let z = 0;
  for (let i = 0; i < sumQ.length; i++) z += sumQ[i];
  const invZ = 1 / z;
  for (let c = 0; c < grad.length; c++) grad[c] = 4 * (posForce[c] - negForce[c] * invZ);
  return z;
}

/**
 * KL(P || Q) with P scaled by `exaggeration` and Q = q / Z, as scikit-learn's sum of p log(max(p, tiny) /
 * max(q / Z, tiny)): from the cached p log p part and the per-point `terms` while no q / Z can fall below
 * tiny (`diameter2`, at least the layout's largest squared distance, bounds every q), else term by term.
 */
export function klDivergence(
  p: Csr,
  y: Float64Array,
  exaggeration: number,
  z: number,
  constants: { pLogP: number; mass: number },
  terms: Float64Array,
  diameter2: number,
): number {
  const n = p.n;
  const { indptr, indices, values } = p;
  if ((1 + diameter2) * z * FLOAT32_TINY < 0.5) {
    let t = 0;
    for (let i = 0; i < n; i++) t += terms[i];
    return constants.pLogP + exaggeration * t + constants.mass * Math.log(z);
  }
  const invZ = 1 / z;
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
      kl += pij * Math.log(Math.max(pij, FLOAT32_TINY) / Math.max(q * invZ, FLOAT32_TINY));
    }
  }
  return kl;
}

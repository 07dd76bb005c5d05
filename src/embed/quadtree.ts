// Barnes-Hut quadtree over 2-D points in flat typed arrays, rebuilt each t-SNE iteration without
// allocating (buffers grow only when a layout needs more cells). Cells are rectangles halving the
// data's bounding box, like scikit-learn's _QuadTree, so the theta criterion means the same thing.
// `group` then cuts the tree into cells of at most a few dozen points, each of which walks it once.

import { embedAddon } from './native-embed.js';

/** The arrays the force pass reads (a worker gets them as shared buffers). */
export interface QuadTreeArrays {
  massX: Float64Array;
  massY: Float64Array;
  count: Int32Array;
  child: Int32Array;
  /** The cell's larger side (scikit-learn's max_width). */
  width: Float64Array;
}

/**
 * Points sorted by their group: group g is the cell `cell[g]` and holds members[start[g]..start[g+1]-1].
 * Sized for N groups, so the arrays never move once made (workers keep them for a whole fit).
 */
export interface PointGroups {
  cell: Int32Array;
  start: Int32Array;
  members: Int32Array;
}

export function makePointGroups(n: number, shared: boolean): PointGroups {
  const i = (m: number) => new Int32Array(shared ? new SharedArrayBuffer(4 * m) : new ArrayBuffer(4 * m));
  return { cell: i(n), start: i(n + 1), members: i(n) };
}

export class QuadTree implements QuadTreeArrays {
  private capacity = 0;
  /** Bumped whenever the arrays are reallocated, so workers know to pick up new buffers. */
  generation = 0;
  size = 0;
  centreX: Float64Array = new Float64Array(0);
  centreY: Float64Array = new Float64Array(0);
  halfX: Float64Array = new Float64Array(0);
  halfY: Float64Array = new Float64Array(0);
  width: Float64Array = new Float64Array(0);
  /** Centre of mass once built (running sums while inserting). */
  massX: Float64Array = new Float64Array(0);
  massY: Float64Array = new Float64Array(0);
  count: Int32Array = new Int32Array(0);
  /** Index of the first of 4 children, -1 for a leaf. */
  child: Int32Array = new Int32Array(0);
  /** A point held by a leaf (leaves hold one point, or several identical ones). */
  point: Int32Array = new Int32Array(0);

  private groupOfCell = new Int32Array(0);
  private groupNext = new Int32Array(0);
  private pointGroup = new Int32Array(0);

  /** @param shared allocate on SharedArrayBuffers, for force passes in worker threads. */
  constructor(private readonly shared = false) {}

  /** Rebuilds the tree over the first n points of y; `native` false keeps to the TypeScript loop (tests). */
  build(y: Float64Array, n: number, native = true): void {
    this.ensure(Math.max(64, 4 * n + 1));
    const addon = native ? embedAddon() : null;
    if (addon !== null) {
      // The compiled twin of the loop below (same tree bit for bit); -1: the arrays are too small.
      for (;;) {
        const { centreX, centreY, halfX, halfY, width, massX, massY, count, child, point } = this;
        const size = addon.quadtreeBuild(y, n, centreX, centreY, halfX, halfY, width, massX, massY, count, child, point);
        if (size >= 0) {
          this.size = size;
          return;
        }
        this.size = 0;
        this.ensure(this.capacity * 2);
      }
    }
    let minX = Infinity,
      minY = Infinity,
      maxX = -Infinity,
      maxY = -Infinity;
    for (let i = 0; i < n; i++) {
      const x = y[2 * i],
        v = y[2 * i + 1];
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (v < minY) minY = v;
      if (v > maxY) maxY = v;
    }
    // Keep the boundary off the data points (as scikit-learn does).
    maxX = Math.max(maxX * (1 + 1e-3 * Math.sign(maxX)), maxX + 1e-3);
    maxY = Math.max(maxY * (1 + 1e-3 * Math.sign(maxY)), maxY + 1e-3);
    this.size = 0;
    this.newCell((minX + maxX) / 2, (minY + maxY) / 2, (maxX - minX) / 2, (maxY - minY) / 2);
    const minHalf = 1e-12 * Math.max(maxX - minX, maxY - minY);
    for (let i = 0; i < n; i++) this.insert(i, y[2 * i], y[2 * i + 1], minHalf);
    for (let c = 0; c < this.size; c++) {
      const m = this.count[c];
      if (m > 0) {
        this.massX[c] /= m;
        this.massY[c] /= m;
      }
    }
  }

  /** The root box's squared diagonal: at least the largest squared distance between two points. */
  diameterSquared(): number {
    return 4 * (this.halfX[0] ** 2 + this.halfY[0] ** 2);
  }

  /**
   * Puts each point in the highest cell on its path that holds at most `maxPoints` (a leaf of identical
   * points may hold more); returns the number of groups, numbered in the order their first point comes.
   */
  group(y: Float64Array, n: number, maxPoints: number, out: PointGroups): number {
    if (this.groupOfCell.length < this.size) this.groupOfCell = new Int32Array(this.capacity);
    const groupOfCell = this.groupOfCell;
    groupOfCell.fill(-1, 0, this.size);
    const { count, child, centreX, centreY } = this;
    const { cell, start, members } = out;
    if (this.pointGroup.length < n) this.pointGroup = new Int32Array(n);
    const pointGroup = this.pointGroup;
    let groups = 0;
    for (let i = 0; i < n; i++) {
      const x = y[2 * i],
        v = y[2 * i + 1];
      let node = 0;
      while (count[node] > maxPoints && child[node] >= 0) node = child[node] + (x >= centreX[node] ? 1 : 0) + (v >= centreY[node] ? 2 : 0);
      let g = groupOfCell[node];
      if (g < 0) {
        g = groupOfCell[node] = groups++;
        cell[g] = node;
      }
      pointGroup[i] = g;
    }
    start.fill(0, 0, groups + 1);
    for (let i = 0; i < n; i++) start[pointGroup[i] + 1]++;
    for (let g = 0; g < groups; g++) start[g + 1] += start[g];
    if (this.groupNext.length < groups) this.groupNext = new Int32Array(n);
    const next = this.groupNext;
    next.set(start.subarray(0, groups));
    for (let i = 0; i < n; i++) members[next[pointGroup[i]]++] = i;
    return groups;
  }

  private insert(p: number, x: number, y: number, minHalf: number): void {
    let node = 0;
    for (;;) {
      if (this.child[node] >= 0) {
        this.count[node]++;
        this.massX[node] += x;
        this.massY[node] += y;
        node = this.child[node] + (x >= this.centreX[node] ? 1 : 0) + (y >= this.centreY[node] ? 2 : 0);
        continue;
      }
      const held = this.count[node];
      if (held === 0) {
        this.point[node] = p;
        this.count[node] = 1;
        this.massX[node] = x;
        this.massY[node] = y;
        return;
      }
      const q = this.point[node];
      const qx = this.massX[node] / held;
      const qy = this.massY[node] / held;
      if ((qx === x && qy === y) || this.halfX[node] < minHalf) {
        this.count[node]++;
        this.massX[node] += x;
        this.massY[node] += y;
        return;
      }
      // Split the leaf: its content moves to the matching child, then the loop places p below.
      const first = this.size;
      const hx = this.halfX[node] / 2,
        hy = this.halfY[node] / 2;
      const cx = this.centreX[node],
        cy = this.centreY[node];
      this.newCell(cx - hx, cy - hy, hx, hy);
      this.newCell(cx + hx, cy - hy, hx, hy);
      this.newCell(cx - hx, cy + hy, hx, hy);
      this.newCell(cx + hx, cy + hy, hx, hy);
      const qc = first + (qx >= cx ? 1 : 0) + (qy >= cy ? 2 : 0);
      this.count[qc] = held;
      this.massX[qc] = this.massX[node];
      this.massY[qc] = this.massY[node];
      this.point[qc] = q;
      this.child[node] = first;
      this.point[node] = -1;
    }
  }

  private newCell(cx: number, cy: number, hx: number, hy: number): void {
    if (this.size === this.capacity) this.ensure(this.capacity * 2);
    const c = this.size++;
    this.centreX[c] = cx;
    this.centreY[c] = cy;
    this.halfX[c] = hx;
    this.halfY[c] = hy;
    this.width[c] = 2 * (hx > hy ? hx : hy);
    this.massX[c] = 0;
    this.massY[c] = 0;
    this.count[c] = 0;
    this.child[c] = -1;
    this.point[c] = -1;
  }

  private ensure(capacity: number): void {
    if (capacity <= this.capacity) return;
    const grow = <T extends Float64Array | Int32Array>(a: T, make: (m: number) => T): T => {
      const b = make(capacity);
      b.set(a.subarray(0, this.size));
      return b;
    };
    const f = (m: number) => new Float64Array(this.shared ? new SharedArrayBuffer(8 * m) : new ArrayBuffer(8 * m));
    const i = (m: number) => new Int32Array(this.shared ? new SharedArrayBuffer(4 * m) : new ArrayBuffer(4 * m));
    this.centreX = grow(this.centreX, f);
    this.centreY = grow(this.centreY, f);
    this.halfX = grow(this.halfX, f);
    this.halfY = grow(this.halfY, f);
    this.width = grow(this.width, f);
    this.massX = grow(this.massX, f);
    this.massY = grow(this.massY, f);
    this.count = grow(this.count, i);
    this.child = grow(this.child, i);
    this.point = grow(this.point, i);
    this.capacity = capacity;
    this.generation++;
  }
}

// UMAP (McInnes, Healy & Melville 2018) over typed arrays: exact kNN fuzzy graph, PCA initialisation
// scaled to +-10 with tiny noise (umap-learn's init='pca'), and umap-learn's SGD: each edge sampled in
// proportion to its weight, `negativeSampleRate` random repulsions per sample, gradients clipped at 4,
// learning rate decaying linearly to 0. Faster than umap-js mostly from flat arrays, one pow per edge and
// an exact kNN that is cheap at these sizes.
import { Random } from '../core/random.js';
import { embedThreads } from './shared-arrays.js';
import { pca } from './pca.js';
import type { Csr } from './sparse.js';
import { trustworthiness } from './trustworthiness.js';
import { findABParams, fuzzySimplicialSet } from './umap-graph.js';
import { checkMatrix, yieldToEventLoop, type CommonEmbedOptions, type EmbeddingResult, type ProgressCallback } from './types.js';

/** Options of UMAP; defaults are umap-learn's. */
export interface UMAPOptions extends CommonEmbedOptions {
  /** Size of the local neighbourhood (self included): larger keeps more global structure. Default 15. */
  nNeighbors?: number;
  /** How tightly points may pack in the embedding. Default 0.1. */
  minDist?: number;
  /** Scale of the embedded points' spread (with minDist, sets the curve's a and b). Default 1. */
  spread?: number;
  /** Optimisation epochs; default 500 for N <= 10,000, else 200 (umap-learn's rule). */
  nEpochs?: number;
  /** Initial SGD learning rate. Default 1. */
  learningRate?: number;
  /** Negative samples per positive sample. Default 5. */
  negativeSampleRate?: number;
  /** Weight of negative samples. Default 1. */
  repulsionStrength?: number;
  /** `'pca'` (scaled to +-10 plus noise 1e-4) or `'random'` (uniform in +-10, like umap-js). Default `'pca'`. */
  init?: 'pca' | 'random';
  /** Curve parameters; fitted from minDist and spread when absent. */
  a?: number;
  b?: number;
  /** Threads for the exact kNN (the SGD is sequential); results are identical for any count. Default: the machine's cores, at most 8. */
  threads?: number;
}

type ResolvedUMAP = Required<Omit<UMAPOptions, 'nEpochs' | 'a' | 'b'>> & { nEpochs?: number; a?: number; b?: number };

// The repulsive coefficient 2 gamma b / ((0.001 + d^2)(a d^(2b) + 1)) is read from a table over the
// distance d (linear interpolation, step 1/256 up to d = 64; exact beyond): the negative samples are
// ~5/6 of all SGD updates and a Math.pow each dominated the epoch (this alone took the fit from 22 s to
// 7 s on PCA-50 PneumoniaMNIST). Measured interpolation error: at most 0.2% relative for d >= 0.05,
// falling with d; below that the gradient is clipped at 4 anyway.
export const TABLE_STEP = 1 / 256;
const TABLE_MAX_DIST = 64;

function repulsionTable(a: number, b: number, gamma: number): Float64Array {
  const size = Math.round(TABLE_MAX_DIST / TABLE_STEP) + 2;
  const table = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    const d2 = (i * TABLE_STEP) ** 2;
    table[i] = (2 * gamma * b) / ((0.001 + d2) * (a * Math.pow(d2, b) + 1));
  }
  return table;
}

// The attractive update reads its magnitude 2ab d^(2b-1) / (a d^(2b) + 1) from a table over d the same way
// from d = 1/16 up (a Math.pow per positive sample was about a third of the epoch time); below 1/16 the
// d^(2b-1) shape defeats linear interpolation, so it is computed exactly there and beyond the table.
// Error from 1/16 up: under 0.3% relative for min_dist 0 to 0.99, the repulsion table's order (tsne-umap.test.ts).
/** Below this distance the attraction is computed exactly. */
export const ATTRACTION_FROM = 1 / 16;

export function attractionTable(a: number, b: number): Float64Array {
  const size = Math.round(TABLE_MAX_DIST / TABLE_STEP) + 2;
  const table = new Float64Array(size);
  for (let i = 1; i < size; i++) {
    const d = i * TABLE_STEP;
    const pb = Math.pow(d * d, b);
    table[i] = (2 * a * b * pb) / (d * (a * pb + 1));
  }
  return table;
}

function clip(v: number): number {
  return v > 4 ? 4 : v < -4 ? -4 : v;
}

/** UMAP with a step-wise API: `initializeFit` → `step()` (one epoch) until false → `getEmbedding()`. */
export class UMAP {
  readonly options: ResolvedUMAP;
  private n = 0;
  private data: Float32Array | Float64Array = new Float32Array(0);
  private dim = 0;
  private embedding: Float64Array = new Float64Array(0);
  private head = new Int32Array(0);
  private tail = new Int32Array(0);
  private epochsPerSample: Float64Array = new Float64Array(0);
  private nextSample: Float64Array = new Float64Array(0);
  private nextNegative: Float64Array = new Float64Array(0);
  private a = 0;
  private b = 0;
  private repulsion: Float64Array = new Float64Array(0);
  private attraction: Float64Array = new Float64Array(0);
  private epoch = 0;
  private totalEpochs = 0;
  private rng = new Random(0);
  private fitSeconds = 0;

  constructor(options: UMAPOptions = {}) {
    this.options = {
      seed: options.seed ?? 0,
      trustworthinessK: options.trustworthinessK ?? 5,
      nNeighbors: options.nNeighbors ?? 15,
      minDist: options.minDist ?? 0.1,
      spread: options.spread ?? 1,
      nEpochs: options.nEpochs,
      learningRate: options.learningRate ?? 1,
      negativeSampleRate: options.negativeSampleRate ?? 5,
      repulsionStrength: options.repulsionStrength ?? 1,
      init: options.init ?? 'pca',
      a: options.a,
      b: options.b,
      threads: embedThreads(options.threads),
    };
    if (!(this.options.nNeighbors >= 2)) throw new RangeError(`nNeighbors must be >= 2, got ${this.options.nNeighbors}`);
    if (!(this.options.minDist >= 0) || this.options.minDist > this.options.spread)
      throw new RangeError(`minDist must be in [0, spread], got ${this.options.minDist}`);
  }

  /** Builds the graph and the initial layout; returns the number of epochs `step` will run. */
  initializeFit(data: Float32Array | Float64Array, n: number, d: number): number {
    const start = performance.now();
    checkMatrix(data, n, d);
    if (n < 3) throw new RangeError(`UMAP needs at least 3 points, got ${n}`);
    const o = this.options;
    this.n = n;
    this.data = data;
    this.dim = d;
    this.rng = new Random(o.seed);
    const graph = fuzzySimplicialSet(data, n, d, Math.min(o.nNeighbors, n), o.threads);
    this.totalEpochs = o.nEpochs ?? (n <= 10000 ? 500 : 200);
    const ab = o.a !== undefined && o.b !== undefined ? { a: o.a, b: o.b } : findABParams(o.spread, o.minDist);
    this.a = ab.a;
    this.b = ab.b;
    this.repulsion = repulsionTable(this.a, this.b, o.repulsionStrength);
    this.attraction = attractionTable(this.a, this.b);
    this.prepareEdges(graph);
    this.embedding = this.initialLayout(data, n, d);
    this.epoch = 0;
    this.fitSeconds = (performance.now() - start) / 1000;
    return this.totalEpochs;
  }

  private prepareEdges(graph: Csr): void {
    let max = 0;
    for (let e = 0; e < graph.values.length; e++) if (graph.values[e] > max) max = graph.values[e];
    const floor = max / this.totalEpochs;
    const heads: number[] = [];
    const tails: number[] = [];
    const per: number[] = [];
    for (let i = 0; i < graph.n; i++)
      for (let e = graph.indptr[i]; e < graph.indptr[i + 1]; e++) {
        const w = graph.values[e];
        if (w < floor) continue;
        heads.push(i);
        tails.push(graph.indices[e]);
        per.push(max / w);
      }
    this.head = Int32Array.from(heads);
    this.tail = Int32Array.from(tails);
    this.epochsPerSample = Float64Array.from(per);
    this.nextSample = Float64Array.from(per);
    this.nextNegative = this.epochsPerSample.map((v) => v / this.options.negativeSampleRate);
  }

  private initialLayout(data: Float32Array | Float64Array, n: number, d: number): Float64Array {
    const y = new Float64Array(2 * n);
    if (this.options.init === 'random' || d < 2) {
      for (let i = 0; i < 2 * n; i++) y[i] = this.rng.uniform(-10, 10);
      return y;
    }
    const scores = pca(data, n, d, { components: 2, seed: this.options.seed }).scores;
    let maxAbs = 0;
    for (let i = 0; i < 2 * n; i++) maxAbs = Math.max(maxAbs, Math.abs(scores[i]));
    const expand = maxAbs > 0 ? 10 / maxAbs : 1;
    for (let i = 0; i < 2 * n; i++) y[i] = scores[i] * expand + this.rng.normal(0, 1e-4);
    return y;
  }

  /** One epoch of SGD; false once all epochs have run. */
  step(): boolean {
    if (this.head.length === 0 && this.n === 0) throw new Error('call initializeFit(data, n, d) before step()');
    if (this.epoch >= this.totalEpochs) return false;
    const start = performance.now();
    const { embedding: y, head, tail, epochsPerSample, nextSample, nextNegative, a, b, n, rng, repulsion, attraction } = this;
    const epoch = this.epoch;
    const alpha = this.options.learningRate * (1 - epoch / this.totalEpochs);
    const gamma = this.options.repulsionStrength;
    const rate = this.options.negativeSampleRate;
    const twoAB = 2 * a * b;
    for (let e = 0; e < head.length; e++) {
      if (nextSample[e] > epoch) continue;
      const j = head[e] * 2;
      const k = tail[e] * 2;
      let dx = y[j] - y[k];
      let dy = y[j + 1] - y[k + 1];
      let d2 = dx * dx + dy * dy;
      if (d2 > 0) {
        const dist = Math.sqrt(d2);
        let coeff: number;
        if (dist >= ATTRACTION_FROM && dist < TABLE_MAX_DIST) {
          const u = dist * (1 / TABLE_STEP);
          const i = u | 0;
          coeff = -(attraction[i] + (u - i) * (attraction[i + 1] - attraction[i])) / dist;
        } else {
          const pb = Math.pow(d2, b);
          coeff = (-twoAB * pb) / d2 / (a * pb + 1);
        }
        const gx = clip(coeff * dx) * alpha;
        const gy = clip(coeff * dy) * alpha;
        y[j] += gx;
        y[j + 1] += gy;
        y[k] -= gx;
        y[k + 1] -= gy;
      }
      nextSample[e] += epochsPerSample[e];
      const perNegative = epochsPerSample[e] / rate;
      const negatives = Math.floor((epoch - nextNegative[e]) / perNegative);
      for (let s = 0; s < negatives; s++) {
        const m = (rng.nextUint32() % n) * 2;
        if (m === j) continue;
        dx = y[j] - y[m];
        dy = y[j + 1] - y[m + 1];
        d2 = dx * dx + dy * dy;
        if (d2 > 0) {
          const dist = Math.sqrt(d2);
          let coeff: number;
          if (dist < TABLE_MAX_DIST) {
            const u = dist * (1 / TABLE_STEP);
            const i = u | 0;
            coeff = repulsion[i] + (u - i) * (repulsion[i + 1] - repulsion[i]);
          } else coeff = (2 * gamma * b) / ((0.001 + d2) * (a * Math.pow(d2, b) + 1));
          y[j] += clip(coeff * dx) * alpha;
          y[j + 1] += clip(coeff * dy) * alpha;
        } else {
          y[j] += 4 * alpha;
          y[j + 1] += 4 * alpha;
        }
      }
      nextNegative[e] += negatives * perNegative;
    }
    this.epoch++;
    this.fitSeconds += (performance.now() - start) / 1000;
    return this.epoch < this.totalEpochs;
  }

  /** Epochs run so far. */
  get epochs(): number {
    return this.epoch;
  }

  /** The current N x 2 layout (a copy). */
  getEmbedding(): Float32Array {
    return Float32Array.from(this.embedding);
  }

  fit(data: Float32Array | Float64Array, n: number, d: number): EmbeddingResult {
    this.initializeFit(data, n, d);
    while (this.step());
    return this.result();
  }

  /** Like `fit`, yielding to the event loop between epochs; `onProgress` may return false to stop early. */
  async fitAsync(data: Float32Array | Float64Array, n: number, d: number, onProgress?: ProgressCallback): Promise<EmbeddingResult> {
    const total = this.initializeFit(data, n, d);
    await yieldToEventLoop();
    while (this.step()) {
      if (onProgress?.({ step: this.epoch, total, method: 'umap' }) === false) break;
      await yieldToEventLoop();
    }
    onProgress?.({ step: this.epoch, total, method: 'umap' });
    return this.result();
  }

  private result(): EmbeddingResult {
    const coords = this.getEmbedding();
    const k = this.options.trustworthinessK;
    return {
      coords,
      trustworthiness: k > 0 ? trustworthiness(this.data, this.n, this.dim, coords, 2, k) : NaN,
      method: 'umap',
      params: { ...this.options, nEpochs: this.totalEpochs, a: this.a, b: this.b, epochsRun: this.epoch, edges: this.head.length },
      seconds: this.fitSeconds,
    };
  }
}

/** UMAP of N x D rows to N x 2 in one call. */
export function fitUMAP(data: Float32Array | Float64Array, n: number, d: number, options: UMAPOptions = {}): EmbeddingResult {
  return new UMAP(options).fit(data, n, d);
}

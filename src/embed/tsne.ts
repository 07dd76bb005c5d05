// Barnes-Hut t-SNE (van der Maaten 2014) following scikit-learn 1.2's TSNE step for step: exact kNN
// affinities at the given perplexity, PCA initialisation scaled to std 1e-4 in the first axis (1.2's
// default), early exaggeration 12 for 250 iterations at momentum 0.5, then momentum 0.8, delta-bar-delta
// gains (+0.2 / x0.8, floor 0.01), learning rate 'auto' = max(N / exaggeration / 4, 50), and the same
// convergence checks every 50 iterations. The repulsion walks the quadtree once per group of nearby
// points rather than once per point, never summarising a cell more coarsely than scikit-learn's test
// would for any member (tsne-gradient.ts).
import { Random } from '../core/random.js';
import { pca } from './pca.js';
import { makePointGroups, QuadTree, type PointGroups } from './quadtree.js';
import type { Csr } from './sparse.js';
import { trustworthiness } from './trustworthiness.js';
import { perplexityAffinities } from './tsne-affinities.js';
import { combineGradient, klConstants, klDivergence, RepulsionScratch } from './tsne-gradient.js';
import { ForcePool } from './tsne-pool.js';
import { attractionChunks, CONTROL_LENGTH, repulsionChunks, SLOT } from './tsne-force-chunks.js';
import { embedThreads, sharedCsr, sharedFloat64 } from './shared-arrays.js';
import { checkMatrix, yieldToEventLoop, type CommonEmbedOptions, type EmbeddingResult, type ProgressCallback } from './types.js';

/** Options of t-SNE; defaults are scikit-learn 1.2's. */
export interface TSNEOptions extends CommonEmbedOptions {
  /** Effective number of neighbours each point's Gaussian is tuned to; uses 3*perplexity+1 neighbours. Default 30. */
  perplexity?: number;
  /** Factor on P during the first `explorationIterations`. Default 12. */
  earlyExaggeration?: number;
  /** Gradient step; `'auto'` is max(N / earlyExaggeration / 4, 50). Default `'auto'`. */
  learningRate?: number | 'auto';
  /** Total iterations, exploration included. Default 1000. */
  maxIterations?: number;
  /** Iterations with early exaggeration and momentum 0.5. Default 250. */
  explorationIterations?: number;
  /** Barnes-Hut accuracy: a cell is summarised when width / distance < theta for every point of the group walking the tree together. 0 is exact (slow). Default 0.5. */
  theta?: number;
  /** `'pca'`: first two principal components scaled to std 1e-4 on the first axis; `'random'`: N(0, 1e-4^2). Default `'pca'`. */
  init?: 'pca' | 'random';
  /** Stop when the KL divergence has not improved for this many iterations (checked every 50). Default 300. */
  maxIterationsWithoutProgress?: number;
  /** Stop when the gradient norm falls below this. Default 1e-7. */
  minGradNorm?: number;
  /** Threads for the exact kNN and the force passes (worker threads beyond the caller's); results are identical for any count. Default: the machine's cores, at most 8. */
  threads?: number;
}

/** Below this many points the force pass is too short to be worth handing to workers. */
const MIN_POINTS_FOR_WORKERS = 1000;
/**
 * Largest group that walks the quadtree together. On PneumoniaMNIST's PCA-50 (4708 points) 32 and 64
 * ran at the same speed (about 2.7x the per-point walk) and 64 gave the smaller force error.
 */
const GROUP_POINTS = 64;

type ResolvedTSNE = Required<Omit<TSNEOptions, 'learningRate'>> & { learningRate: number | 'auto' };

function resolve(o: TSNEOptions): ResolvedTSNE {
  return {
    seed: o.seed ?? 0,
    trustworthinessK: o.trustworthinessK ?? 5,
    perplexity: o.perplexity ?? 30,
    earlyExaggeration: o.earlyExaggeration ?? 12,
    learningRate: o.learningRate ?? 'auto',
    maxIterations: o.maxIterations ?? 1000,
    explorationIterations: o.explorationIterations ?? 250,
    theta: o.theta ?? 0.5,
    init: o.init ?? 'pca',
    maxIterationsWithoutProgress: o.maxIterationsWithoutProgress ?? 300,
    minGradNorm: o.minGradNorm ?? 1e-7,
    threads: embedThreads(o.threads),
  };
}

/** t-SNE with a step-wise API: `initializeFit` → `step()` until it returns false → `getEmbedding()`. */
export class TSNE {
  readonly options: ResolvedTSNE;
  private n = 0;
  private data: Float32Array | Float64Array = new Float32Array(0);
  private dim = 0;
  private p: Csr | null = null;
  private y: Float64Array = new Float64Array(0);
  private update = new Float64Array(0);
  private gains = new Float64Array(0);
  private grad = new Float64Array(0);
  private negForce: Float64Array = new Float64Array(0);
  private posForce: Float64Array = new Float64Array(0);
  private sumQ: Float64Array = new Float64Array(0);
  private klTerms: Float64Array = new Float64Array(0);
  /** klConstants per exaggeration value, computed once per phase. */
  private klParts = new Map<number, { pLogP: number; mass: number }>();
  private scratch = new RepulsionScratch();
  private tree = new QuadTree();
  private groups: PointGroups = makePointGroups(0, false);
  private pool: ForcePool | null = null;
  private iteration = 0;
  private lr = 0;
  private bestError = Infinity;
  private bestIteration = 0;
  private done = false;
  private fitSeconds = 0;
  /** KL divergence at the last convergence check (NaN before the first). */
  klDivergence = NaN;

  constructor(options: TSNEOptions = {}) {
    this.options = resolve(options);
    const o = this.options;
    if (!(o.perplexity > 0)) throw new RangeError(`perplexity must be > 0, got ${o.perplexity}`);
    if (!(o.theta >= 0)) throw new RangeError(`theta must be >= 0, got ${o.theta}`);
  }

  /** Computes affinities and the initial layout; returns the number of iterations `step` will run. */
  initializeFit(data: Float32Array | Float64Array, n: number, d: number): number {
    const start = performance.now();
    checkMatrix(data, n, d);
    if (n < 4) throw new RangeError(`t-SNE needs at least 4 points, got ${n}`);
    const o = this.options;
    if (o.perplexity >= n) throw new RangeError(`perplexity (${o.perplexity}) must be less than the number of points (${n})`);
    this.n = n;
    this.data = data;
    this.dim = d;
    this.p = perplexityAffinities(data, n, d, o.perplexity, o.threads);
    this.dispose();
    const parallel = o.threads > 1 && n >= MIN_POINTS_FOR_WORKERS;
    const layout = this.initialLayout(data, n, d);
    this.y = parallel ? sharedFloat64(2 * n) : layout;
    if (parallel) this.y.set(layout);
    this.update = new Float64Array(2 * n);
    this.gains = new Float64Array(2 * n).fill(1);
    this.grad = new Float64Array(2 * n);
    this.negForce = parallel ? sharedFloat64(2 * n) : new Float64Array(2 * n);
    this.posForce = parallel ? sharedFloat64(2 * n) : new Float64Array(2 * n);
    if (parallel) this.p = sharedCsr(this.p);
    this.sumQ = parallel ? sharedFloat64(n) : new Float64Array(n);
    this.klTerms = parallel ? sharedFloat64(n) : new Float64Array(n);
    this.klParts.clear();
    this.tree = new QuadTree(parallel);
    this.groups = makePointGroups(n, parallel);
    if (parallel) this.pool = new ForcePool(o.threads);
    this.lr = o.learningRate === 'auto' ? Math.max(n / o.earlyExaggeration / 4, 50) : o.learningRate;
    this.iteration = 0;
    this.bestError = Infinity;
    this.bestIteration = 0;
    this.done = false;
    this.fitSeconds = (performance.now() - start) / 1000;
    return o.maxIterations;
  }

  private initialLayout(data: Float32Array | Float64Array, n: number, d: number): Float64Array {
    const y = new Float64Array(2 * n);
    if (this.options.init === 'random' || d < 2) {
      const rng = new Random(this.options.seed);
      for (let i = 0; i < 2 * n; i++) y[i] = 1e-4 * rng.normal();
      return y;
    }
    const scores = pca(data, n, d, { components: 2, seed: this.options.seed }).scores;
    let mean = 0;
    for (let i = 0; i < n; i++) mean += scores[2 * i];
    mean /= n;
    let variance = 0;
    for (let i = 0; i < n; i++) variance += (scores[2 * i] - mean) ** 2;
    const scale = 1e-4 / Math.sqrt(variance / n || 1);
    for (let i = 0; i < 2 * n; i++) y[i] = scores[i] * scale;
    return y;
  }

  /** One gradient iteration; false once finished (all iterations run or converged). */
  step(): boolean {
    if (!this.p) throw new Error('call initializeFit(data, n, d) before step()');
    if (this.done) return false;
    const start = performance.now();
    const o = this.options;
    const it = this.iteration;
    const exploring = it < o.explorationIterations;
    const momentum = exploring ? 0.5 : 0.8;
    const exaggeration = exploring ? o.earlyExaggeration : 1;
    const check = (it + 1) % 50 === 0 || it === o.maxIterations - 1;
    const n = this.n;
    const { tree, groups, p } = this;
    const buildTree = (): number => {
      tree.build(this.y, n);
      return tree.group(this.y, n, GROUP_POINTS, groups);
    };
    if (this.pool) {
      const { negForce, sumQ, posForce } = this;
      const pass = { tree, groups, p, y: this.y, theta: o.theta, exaggeration, negForce, sumQ, posForce, kl: this.klTerms, withKl: check };
      this.pool.run(pass, this.scratch, buildTree);
    } else {
      const control = new Int32Array(CONTROL_LENGTH);
      control[SLOT.groups] = buildTree();
      attractionChunks(control, p, this.y, exaggeration, this.posForce, check ? this.klTerms : null);
      repulsionChunks(control, tree, groups, this.y, o.theta, this.negForce, this.sumQ, this.scratch);
    }
    const z = combineGradient(this.posForce, this.negForce, this.sumQ, this.grad);
    let error = NaN;
    if (check) {
      if (!this.klParts.has(exaggeration)) this.klParts.set(exaggeration, klConstants(p, exaggeration));
      error = klDivergence(p, this.y, exaggeration, z, this.klParts.get(exaggeration)!, this.klTerms, tree.diameterSquared());
    }
    const { y, update, gains, grad } = this;
    let gradNorm2 = 0;
    for (let c = 0; c < 2 * n; c++) {
      const g = grad[c];
      let gain = update[c] * g < 0 ? gains[c] + 0.2 : gains[c] * 0.8;
      if (gain < 0.01) gain = 0.01;
      gains[c] = gain;
      const scaled = g * gain;
      gradNorm2 += scaled * scaled;
      update[c] = momentum * update[c] - this.lr * scaled;
      y[c] += update[c];
    }
    this.iteration++;
    if (this.iteration === o.explorationIterations) {
      // scikit-learn runs exploration and the main phase as two separate descents, each with its own best-error record.
      this.bestError = Infinity;
      this.bestIteration = it;
    }
    if (check) {
      this.klDivergence = error;
      const limit = exploring ? o.explorationIterations : o.maxIterationsWithoutProgress;
      if (error < this.bestError) {
        this.bestError = error;
        this.bestIteration = it;
      } else if (it - this.bestIteration > limit) this.done = true;
      // Like scikit-learn, the norm tested is that of the gain-scaled gradient.
      if (Math.sqrt(gradNorm2) <= o.minGradNorm) this.done = true;
    }
    if (this.iteration >= o.maxIterations) this.done = true;
    if (this.done) this.dispose();
    this.fitSeconds += (performance.now() - start) / 1000;
    return !this.done;
  }

  /** Stops the force workers (done automatically when the fit finishes). */
  dispose(): void {
    this.pool?.close();
    this.pool = null;
  }

  /** Iterations run so far. */
  get iterations(): number {
    return this.iteration;
  }

  /** The current N x 2 layout (a copy). */
  getEmbedding(): Float32Array {
    return Float32Array.from(this.y);
  }

  fit(data: Float32Array | Float64Array, n: number, d: number): EmbeddingResult {
    this.initializeFit(data, n, d);
    while (this.step());
    return this.result();
  }

  /** Like `fit`, yielding to the event loop every few iterations; `onProgress` may return false to stop early. */
  async fitAsync(data: Float32Array | Float64Array, n: number, d: number, onProgress?: ProgressCallback): Promise<EmbeddingResult> {
    const total = this.initializeFit(data, n, d);
    await yieldToEventLoop();
    const every = Math.max(1, Math.round(20000 / Math.max(n, 1)));
    while (this.step()) {
      if (this.iteration % every !== 0) continue;
      if (onProgress?.({ step: this.iteration, total, method: 'tsne' }) === false) break;
      await yieldToEventLoop();
    }
    this.dispose();
    onProgress?.({ step: this.iteration, total, method: 'tsne' });
    return this.result();
  }

  private result(): EmbeddingResult {
    const coords = this.getEmbedding();
    const k = this.options.trustworthinessK;
    return {
      coords,
      trustworthiness: k > 0 ? trustworthiness(this.data, this.n, this.dim, coords, 2, k) : NaN,
      method: 'tsne',
      params: { ...this.options, learningRateUsed: this.lr, iterationsRun: this.iteration, klDivergence: this.klDivergence },
      seconds: this.fitSeconds,
    };
  }
}

/** t-SNE of N x D rows to N x 2 in one call. */
export function fitTSNE(data: Float32Array | Float64Array, n: number, d: number, options: TSNEOptions = {}): EmbeddingResult {
  return new TSNE(options).fit(data, n, d);
}

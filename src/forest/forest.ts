// Random forest for classification and regression over histogram-binned features.
//
// Pitfalls worth knowing (also in README.md):
// - `featureImportances` is the mean decrease in impurity (MDI, "Gini importance"), computed on the
//   training data. It is biased toward features with many distinct values and toward groups with many
//   columns, and it is not a test: noise features get non-zero importance. Use grouped permutation
//   importance and the PIMP null model in src/explain/importance for claims.
// - Splits are chosen among at most 256 quantile bins per feature (cut points fixed once, before any
//   tree is grown). With ~4700 rows that is ~18 rows per bin: accuracy matches exact-split forests in
//   practice, but thresholds are bin edges, not midpoints between neighbouring node samples.
// - Every tree's seed is derived from `seed` up front, and trees are reduced in index order, so a seed
//   gives the same forest (bit for bit) with any number of threads.

import { binMatrix, rowMajorCodes, sharedArray, toMatrix, toShared, type BinnedMatrix, type MatrixLike } from './binning.js';
import { binMatrixParallel } from './parallel-binning.js';
import { defaultThreads, sharedPool, type TreePool } from './pool.js';
import { deriveSeed, Random } from '../core/random.js';
import { buildTree, sampleCounts, type Criterion, type TreeArrays, type TreeBuildResult, type TreeData, type TreeParams } from './tree.js';

export type ForestTask = 'classification' | 'regression';

/** Options of a random forest; every field is optional and defaults as scikit-learn's RandomForest*. */
export interface ForestOptions {
  /** 'classification' (default) or 'regression'. */
  task?: ForestTask;
  /** Number of trees. Default 100. */
  nTrees?: number;
  /** Split criterion. Default 'gini' (classification) / 'squared_error' (regression). */
  criterion?: Criterion;
  /**
   * Candidate features per node: 'sqrt' (default for classification), 'log2', 'all' (default for
   * regression, as scikit-learn >= 1.1), an integer count (>= 1), or a fraction in (0, 1).
   */
  maxFeatures?: 'sqrt' | 'log2' | 'all' | number;
  /** Maximum depth (root = 0). Default Infinity (grow until pure or limited by the sample limits). */
  maxDepth?: number;
  /** Minimum distinct samples in a node to split it. Default 2. */
  minSamplesSplit?: number;
  /** Minimum distinct samples in each child. Default 1. */
  minSamplesLeaf?: number;
  /** Minimum weighted impurity decrease, as a fraction of the total weight (scikit-learn's meaning). Default 0. */
  minImpurityDecrease?: number;
  /** Draw a bootstrap sample per tree. Default true. */
  bootstrap?: boolean;
  /** Bootstrap draws per tree: a fraction in (0, 1] of the training rows or a count > 1. Default: all. */
  maxSamples?: number | null;
  /** Compute the out-of-bag score after fitting (accuracy, or R^2 for regression). Default false. */
  oobScore?: boolean;
  /**
   * Class weights: 'balanced' (n / (K * n_class), over the training rows), a map from class label to
   * weight, or null (default). Multiplies any sample weights.
   */
  classWeight?: 'balanced' | Record<number, number> | null;
  /** Bins per feature, 2..256. Default 256. */
  maxBins?: number;
  /** Seed for everything random. Default 0. */
  seed?: number;
  /** Worker threads: default the core count; 0 grows trees in the calling thread (blocking). */
  threads?: number;
  /** A pool to use instead of the shared one (its size overrides `threads`). */
  pool?: TreePool;
}

/** Extra inputs to `fitBinned`. */
export interface FitBinnedOptions {
  /** Training rows (indices into the binned matrix; may repeat). Default: all rows. */
  rows?: ArrayLike<number>;
  /** Per-row weights (length = binned rows). */
  sampleWeight?: ArrayLike<number> | null;
  /**
   * Column groups for per-tree out-of-bag permutation importance (all columns of a group permuted
   * together). When given, `groupOobImportance` is filled after fitting.
   */
  groups?: { groupOf: ArrayLike<number>; nGroups: number } | null;
  /** Called after each tree. */
  onProgress?: (done: number, total: number) => void;
}

/** A fitted tree with raw-value thresholds (for prediction on unbinned data). */
export interface FittedTree extends TreeArrays {
  threshold: Float64Array;
}

/** Resolved (all defaults filled in) options, as stored in JSON. */
export interface ResolvedForestOptions {
  task: ForestTask;
  nTrees: number;
  criterion: Criterion;
  maxFeatures: 'sqrt' | 'log2' | 'all' | number;
  maxDepth: number | null;
  minSamplesSplit: number;
  minSamplesLeaf: number;
  minImpurityDecrease: number;
  bootstrap: boolean;
  maxSamples: number | null;
  oobScore: boolean;
  classWeight: 'balanced' | Record<number, number> | null;
  maxBins: number;
  seed: number;
}

/** JSON form of a fitted forest (`RandomForest.toJSON`). */
export interface ForestJSON {
  format: 'latentlens-forest';
  version: 1;
  options: ResolvedForestOptions;
  classes: number[] | null;
  nFeatures: number;
  featureImportances: number[];
  oobScore: number | null;
  trees: Array<{
    feature: number[];
    threshold: number[];
    bin: number[];
    left: number[];
    right: number[];
    value: number[];
    nodeSamples: number[];
  }>;
}

export function resolveOptions(o: ForestOptions = {}): ResolvedForestOptions {
  const task = o.task ?? 'classification';
  if (task !== 'classification' && task !== 'regression') throw new Error(`unknown task ${String(task)}`);
  const criterion = o.criterion ?? (task === 'classification' ? 'gini' : 'squared_error');
  if (task === 'classification' && criterion === 'squared_error') throw new Error('squared_error is a regression criterion');
  if (task === 'regression' && criterion !== 'squared_error') throw new Error(`${criterion} is a classification criterion`);
  const nTrees = Math.floor(o.nTrees ?? 100);
  if (!(nTrees >= 1)) throw new Error('nTrees must be >= 1');
  return {
    task,
    nTrees,
    criterion,
    maxFeatures: o.maxFeatures ?? (task === 'classification' ? 'sqrt' : 'all'),
    maxDepth: o.maxDepth === undefined || o.maxDepth === Infinity ? null : o.maxDepth,
    minSamplesSplit: o.minSamplesSplit ?? 2,
    minSamplesLeaf: o.minSamplesLeaf ?? 1,
    minImpurityDecrease: o.minImpurityDecrease ?? 0,
    bootstrap: o.bootstrap ?? true,
    maxSamples: o.maxSamples ?? null,
    oobScore: o.oobScore ?? false,
    classWeight: o.classWeight ?? null,
    maxBins: o.maxBins ?? 256,
    seed: (o.seed ?? 0) >>> 0,
  };
}

function resolveMtry(mf: ResolvedForestOptions['maxFeatures'], d: number): number {
  let m: number;
  if (mf === 'sqrt') m = Math.floor(Math.sqrt(d));
  else if (mf === 'log2') m = Math.floor(Math.log2(d));
  else if (mf === 'all') m = d;
  else if (mf > 0 && mf < 1) m = Math.floor(mf * d);
  else m = Math.floor(mf);
  return Math.max(1, Math.min(d, m));
}

// One row-major copy per binned matrix, however many forests are fitted on it (PIMP fits hundreds).
const rowMajorCopies = new WeakMap<Uint8Array, Uint8Array>();

/** Above this many codes the copy's memory outweighs its speed: small nodes read column-major too. */
const ROW_MAJOR_MAX = 2 ** 28;

/** The binned codes row-major (rows x cols), in shared memory for the tree workers; null when too large. */
function rowMajor(binned: BinnedMatrix): Uint8Array | null {
  const cached = rowMajorCopies.get(binned.codes);
  if (cached) return cached;
  if (binned.rows * binned.cols > ROW_MAJOR_MAX) return null;
  const out = rowMajorCodes(binned);
  rowMajorCopies.set(binned.codes, out);
  return out;
}

/** Random forest classifier / regressor. */
export class RandomForest {
  readonly options: ResolvedForestOptions;
  private readonly threads: number;
  private readonly pool: TreePool | null;
  /** Sorted distinct class labels (classification), else null. */
  classes: number[] | null = null;
  nFeatures = 0;
  trees: FittedTree[] = [];
  /** The seed of each tree (derived from `options.seed`). */
  treeSeeds: number[] = [];
  /** Normalised mean decrease in impurity per feature (sums to 1). Biased: see the file comment. */
  featureImportances: Float64Array = new Float64Array(0);
  /** OOB accuracy (classification) or R^2 (regression) when `oobScore` was asked for, else null. */
  oobScore: number | null = null;
  /** OOB class probabilities (rows x K) or predictions (rows), NaN for rows never out of bag. */
  oobDecision: Float64Array | null = null;
  /**
   * Mean over trees of the per-tree OOB permutation importance of each column group (drop in
   * accuracy / rise in MSE), when `fitBinned` got `groups`; else null.
   */
  groupOobImportance: Float64Array | null = null;

  constructor(options: ForestOptions = {}) {
    this.options = resolveOptions(options);
    this.pool = options.pool ?? null;
    this.threads = options.pool ? options.pool.size : (options.threads ?? defaultThreads());
  }

  /** The worker pool this forest fits on, or null when it runs in the calling thread (`threads: 0`). */
  workerPool(): TreePool | null {
    return this.pool === null && this.threads <= 0 ? null : (this.pool ?? sharedPool(this.threads));
  }

  get nClasses(): number {
    return this.classes === null ? 0 : this.classes.length;
  }

  /** Bins `X` (rows x features) and fits. `y`: class labels (integers) or regression targets. */
  async fit(
    X: MatrixLike,
    y: ArrayLike<number>,
    opts: { sampleWeight?: ArrayLike<number> | null; onProgress?: (done: number, total: number) => void } = {},
  ): Promise<this> {
    const bins = { maxBins: this.options.maxBins };
    const pool = this.workerPool();
    const binned = pool === null ? binMatrix(toMatrix(X), bins) : await binMatrixParallel(X, bins, pool);
    return this.fitBinned(binned, y, opts);
  }

  /** Fits on an already binned matrix; `y` has one entry per binned row (entries outside `rows` are ignored). */
  async fitBinned(binned: BinnedMatrix, y: ArrayLike<number>, opts: FitBinnedOptions = {}): Promise<this> {
    const o = this.options;
    const n = binned.rows;
    const d = binned.cols;
    if (y.length !== n) throw new Error(`y has ${y.length} entries, expected ${n}`);
    const rows = sharedArray(Int32Array, opts.rows ? opts.rows.length : n);
    if (opts.rows) {
      for (let i = 0; i < rows.length; i++) {
        const r = opts.rows[i];
        if (!(r >= 0 && r < n) || !Number.isInteger(r)) throw new Error(`row index ${r} out of range`);
        rows[i] = r;
      }
    } else for (let i = 0; i < n; i++) rows[i] = i;
    if (rows.length === 0) throw new Error('no training rows');
    const reg = o.task === 'regression';

    let yClass: Int32Array | null = null;
    let yReg: Float64Array | null = null;
    if (reg) {
      yReg = sharedArray(Float64Array, n);
      for (let i = 0; i < n; i++) yReg[i] = y[i];
      for (let i = 0; i < rows.length; i++) if (!Number.isFinite(yReg[rows[i]])) throw new Error(`non-finite target at row ${rows[i]}`);
      this.classes = null;
    } else {
      const set = new Set<number>();
      for (let i = 0; i < rows.length; i++) {
        const v = y[rows[i]];
        if (!Number.isFinite(v)) throw new Error(`non-finite label at row ${rows[i]}`);
        set.add(v);
      }
      const classes = [...set].sort((a, b) => a - b);
      if (classes.length < 1) throw new Error('no classes');
      const index = new Map(classes.map((c, i) => [c, i]));
      yClass = sharedArray(Int32Array, n);
      for (let i = 0; i < n; i++) yClass[i] = index.get(y[i]) ?? -1;
      this.classes = classes;
    }
    const K = reg ? 1 : this.classes!.length;

    // Row weights: sample weights x class weights.
    let weight: Float64Array | null = null;
    if (opts.sampleWeight) {
      if (opts.sampleWeight.length !== n) throw new Error(`sampleWeight has ${opts.sampleWeight.length} entries, expected ${n}`);
      weight = sharedArray(Float64Array, n);
      for (let i = 0; i < n; i++) weight[i] = opts.sampleWeight[i];
    }
    if (!reg && o.classWeight !== null) {
      const cw = new Float64Array(K);
      if (o.classWeight === 'balanced') {
        const cnt = new Float64Array(K);
        for (let i = 0; i < rows.length; i++) cnt[yClass![rows[i]]]++;
        for (let k = 0; k < K; k++) cw[k] = cnt[k] > 0 ? rows.length / (K * cnt[k]) : 0;
      } else {
        for (let k = 0; k < K; k++) cw[k] = o.classWeight[this.classes![k]] ?? 1;
      }
      if (weight === null) {
        weight = sharedArray(Float64Array, n);
        weight.fill(1);
      }
      for (let i = 0; i < n; i++) if (yClass![i] >= 0) weight[i] *= cw[yClass![i]];
    }

    const maxSamples =
      o.maxSamples === null ? 0 : o.maxSamples <= 1 ? Math.max(1, Math.round(o.maxSamples * rows.length)) : Math.floor(o.maxSamples);
    const params: TreeParams = {
      regression: reg,
      nClasses: reg ? 1 : K,
      criterion: o.criterion,
      mtry: resolveMtry(o.maxFeatures, d),
      maxDepth: o.maxDepth === null ? 1 << 30 : o.maxDepth,
      minSamplesSplit: o.minSamplesSplit,
      minSamplesLeaf: o.minSamplesLeaf,
      minImpurityDecrease: o.minImpurityDecrease,
      bootstrap: o.bootstrap,
      maxSamples,
    };
    let groupOf: Int32Array | null = null;
    let nGroups = 0;
    if (opts.groups) {
      if (opts.groups.groupOf.length !== d) throw new Error(`groupOf has ${opts.groups.groupOf.length} entries, expected ${d}`);
      nGroups = opts.groups.nGroups;
      groupOf = sharedArray(Int32Array, d);
      for (let f = 0; f < d; f++) {
        const g = opts.groups.groupOf[f];
        if (!(g >= 0 && g < nGroups)) throw new Error(`column ${f} has group ${g}, outside 0..${nGroups - 1}`);
        groupOf[f] = g;
      }
    }
    const data: TreeData = {
      n,
      d,
      codes: toShared(binned.codes),
      rowCodes: rowMajor(binned),
      nBins: toShared(binned.nBins),
      yClass,
      yReg,
      weight,
      rows,
      groupOf,
      nGroups,
    };

    const seeds = Array.from({ length: o.nTrees }, (_, t) => deriveSeed(o.seed, t));
    const results: TreeBuildResult[] = new Array(o.nTrees);
    let done = 0;
    const pool = this.workerPool();
    if (pool === null) {
      for (let t = 0; t < o.nTrees; t++) {
        results[t] = buildTree(data, params, seeds[t]);
        opts.onProgress?.(++done, o.nTrees);
      }
    } else {
      // Runs of consecutive trees, about four per worker: on small data a message per tree cost more than
      // its tree (ISIC, 80 rows: half of rank's time was postMessage).
      const per = Math.max(1, Math.floor(o.nTrees / (4 * pool.size)));
      const jobs: number[] = [];
      for (let t0 = 0; t0 < o.nTrees; t0 += per) jobs.push(t0);
      await Promise.all(
        jobs.map((t0) =>
          pool.run({ data, params, seeds: seeds.slice(t0, t0 + per) }).then((r) => {
            r.results.forEach((res, j) => (results[t0 + j] = res));
            done += r.results.length;
            opts.onProgress?.(done, o.nTrees);
          }),
        ),
      );
    }

    this.nFeatures = d;
    this.treeSeeds = seeds;
    this.trees = results.map((r) => withThresholds(r.tree, binned.edges));
    // Importances: per-tree normalised MDI, averaged (as scikit-learn), reduced in tree order.
    const imp = new Float64Array(d);
    let used = 0;
    for (const r of results) {
      let s = 0;
      for (let f = 0; f < d; f++) s += r.mdi[f];
      if (s > 0) {
        for (let f = 0; f < d; f++) imp[f] += r.mdi[f] / s;
        used++;
      }
    }
    if (used > 0) for (let f = 0; f < d; f++) imp[f] /= used;
    this.featureImportances = imp;
    if (groupOf !== null) {
      const gi = new Float64Array(nGroups);
      let m = 0;
      for (const r of results) {
        if (r.oobPerm === null) continue;
        for (let g = 0; g < nGroups; g++) gi[g] += r.oobPerm[g];
        m++;
      }
      if (m > 0) for (let g = 0; g < nGroups; g++) gi[g] /= m;
      this.groupOobImportance = gi;
    } else this.groupOobImportance = null;
    this.oobScore = null;
    this.oobDecision = null;
    if (o.oobScore) this.computeOob(binned, rows, yClass, yReg);
    return this;
  }

  /** Per-tree in-bag counts over the binned rows (re-derived from the tree seeds). */
  inBagCounts(tree: number, rows: Int32Array, n: number): Int32Array {
    const o = this.options;
    const maxSamples =
      o.maxSamples === null ? 0 : o.maxSamples <= 1 ? Math.max(1, Math.round(o.maxSamples * rows.length)) : Math.floor(o.maxSamples);
    return sampleCounts(new Random(this.treeSeeds[tree]), rows, n, o.bootstrap, maxSamples);
  }

  private computeOob(binned: BinnedMatrix, rows: Int32Array, yClass: Int32Array | null, yReg: Float64Array | null): void {
    const n = binned.rows;
    const reg = this.options.task === 'regression';
    const K = reg ? 1 : this.nClasses;
    const acc = new Float64Array(n * K);
    const nOob = new Int32Array(n);
    const inTrain = new Uint8Array(n);
    for (let i = 0; i < rows.length; i++) inTrain[rows[i]] = 1;
    for (let t = 0; t < this.trees.length; t++) {
      const counts = this.inBagCounts(t, rows, n);
      const tree = this.trees[t];
      for (let r = 0; r < n; r++) {
        if (inTrain[r] === 0 || counts[r] !== 0) continue;
        const leaf = leafCodes(tree, binned.codes, n, r);
        for (let k = 0; k < K; k++) acc[r * K + k] += tree.value[leaf * K + k];
        nOob[r]++;
      }
    }
    const dec = new Float64Array(n * K).fill(NaN);
    let correct = 0;
    let m = 0;
    let sse = 0;
    let sy = 0;
    let syy = 0;
    for (let r = 0; r < n; r++) {
      if (nOob[r] === 0) continue;
      for (let k = 0; k < K; k++) dec[r * K + k] = acc[r * K + k] / nOob[r];
      m++;
      if (reg) {
        const e = dec[r] - yReg![r];
        sse += e * e;
        sy += yReg![r];
        syy += yReg![r] * yReg![r];
      } else {
        let best = 0;
        for (let k = 1; k < K; k++) if (dec[r * K + k] > dec[r * K + best]) best = k;
        if (best === yClass![r]) correct++;
      }
    }
    this.oobDecision = dec;
    if (m === 0) this.oobScore = NaN;
    else if (reg) {
      const sst = syy - (sy * sy) / m;
      this.oobScore = sst > 0 ? 1 - sse / sst : NaN;
    } else this.oobScore = correct / m;
  }

  private checkFitted(cols: number): void {
    if (this.trees.length === 0) throw new Error('forest is not fitted');
    if (cols !== this.nFeatures) throw new Error(`expected ${this.nFeatures} features, got ${cols}`);
  }

  /**
   * Mean over trees of the leaf values: class probabilities (rows x K, row-major) for classification,
   * predictions (rows) for regression.
   */
  predictProba(X: MatrixLike): Float64Array {
    const x = toMatrix(X);
    this.checkFitted(x.cols);
    const W = this.options.task === 'regression' ? 1 : this.nClasses;
    const out = new Float64Array(x.rows * W);
    const { data, rows, cols } = x;
    for (const t of this.trees) {
      const { feature, threshold, left, right, value } = t;
      for (let r = 0; r < rows; r++) {
        const base = r * cols;
        let node = 0;
        while (left[node] >= 0) node = data[base + feature[node]] <= threshold[node] ? left[node] : right[node];
        for (let k = 0; k < W; k++) out[r * W + k] += value[node * W + k];
      }
    }
    const inv = 1 / this.trees.length;
    for (let i = 0; i < out.length; i++) out[i] *= inv;
    return out;
  }

  /** Class labels (classification; argmax of predictProba) or predicted values (regression). */
  predict(X: MatrixLike): Float64Array {
    const p = this.predictProba(X);
    if (this.options.task === 'regression') return p;
    return argmaxRows(p, this.nClasses, this.classes!);
  }

  /** Like predictProba but on binned rows (codes of the same binning the forest was fitted on). */
  predictProbaBinned(binned: BinnedMatrix, rowIds?: ArrayLike<number>): Float64Array {
    this.checkFitted(binned.cols);
    const W = this.options.task === 'regression' ? 1 : this.nClasses;
    const m = rowIds ? rowIds.length : binned.rows;
    const out = new Float64Array(m * W);
    for (const t of this.trees) {
      for (let i = 0; i < m; i++) {
        const node = leafCodes(t, binned.codes, binned.rows, rowIds ? rowIds[i] : i);
        for (let k = 0; k < W; k++) out[i * W + k] += t.value[node * W + k];
      }
    }
    const inv = 1 / this.trees.length;
    for (let i = 0; i < out.length; i++) out[i] *= inv;
    return out;
  }

  toJSON(): ForestJSON {
    return {
      format: 'latentlens-forest',
      version: 1,
      options: this.options,
      classes: this.classes,
      nFeatures: this.nFeatures,
      featureImportances: Array.from(this.featureImportances),
      oobScore: this.oobScore,
      trees: this.trees.map((t) => ({
        feature: Array.from(t.feature),
        threshold: Array.from(t.threshold),
        bin: Array.from(t.bin),
        left: Array.from(t.left),
        right: Array.from(t.right),
        value: Array.from(t.value),
        nodeSamples: Array.from(t.nodeSamples),
      })),
    };
  }

  static fromJSON(json: ForestJSON | string): RandomForest {
    const j: ForestJSON = typeof json === 'string' ? JSON.parse(json) : json;
    if (j.format !== 'latentlens-forest' || j.version !== 1) throw new Error('not a latentlens forest (version 1)');
    const f = new RandomForest({ ...j.options, maxDepth: j.options.maxDepth ?? Infinity, threads: 0 });
    f.classes = j.classes;
    f.nFeatures = j.nFeatures;
    f.featureImportances = Float64Array.from(j.featureImportances);
    f.oobScore = j.oobScore;
    f.treeSeeds = Array.from({ length: j.trees.length }, (_, t) => deriveSeed(j.options.seed, t));
    f.trees = j.trees.map((t) => ({
      feature: Int32Array.from(t.feature),
      threshold: Float64Array.from(t.threshold),
      bin: Uint8Array.from(t.bin),
      left: Int32Array.from(t.left),
      right: Int32Array.from(t.right),
      value: Float64Array.from(t.value),
      nodeSamples: Int32Array.from(t.nodeSamples),
    }));
    return f;
  }
}

function withThresholds(t: TreeArrays, edges: Float64Array[]): FittedTree {
  const threshold = new Float64Array(t.feature.length);
  for (let i = 0; i < threshold.length; i++) threshold[i] = t.left[i] >= 0 ? edges[t.feature[i]][t.bin[i]] : 0;
  return { ...t, threshold };
}

/** Leaf of row r in column-major codes with n rows. */
export function leafCodes(t: TreeArrays, codes: Uint8Array, n: number, r: number): number {
  const { feature, bin, left, right } = t;
  let node = 0;
  while (left[node] >= 0) node = codes[feature[node] * n + r] <= bin[node] ? left[node] : right[node];
  return node;
}

export function argmaxRows(p: Float64Array, K: number, classes: number[]): Float64Array {
  const m = p.length / K;
  const out = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (p[i * K + k] > p[i * K + best]) best = k;
    out[i] = classes[best];
  }
  return out;
}

// The two metrics defined by intervention: the beta-VAE score (Higgins et al. 2017) and the FactorVAE
// score (Kim & Mnih 2018). Both need batches in which one factor is held fixed while the others vary.
// The originals generate such batches from a simulator; we only have a fixed dataset, so "factor k
// fixed" means "same class code of factor k" (same value for discrete factors, same quantile bin for
// continuous ones). The approximation: the held factor still varies inside its bin, and the other
// factors vary only as they happen to in the data (correlated factors stay correlated).
import type { Random } from '../core/random.js';
import { fitLogistic, accuracy, type Matrix } from './linear.js';
import { columnVariance, type PreparedFactor } from './factors.js';

/** Samples grouped by the class of one factor; only groups with two or more members. */
interface Groups {
  members: Int32Array[];
  /** Cumulative member counts, to draw a group with probability proportional to its size. */
  cumulative: Float64Array;
}

function groupsOf(f: PreparedFactor): Groups {
  const lists: number[][] = Array.from({ length: f.classes }, () => []);
  f.codes.forEach((c, i) => lists[c]!.push(i));
  const members = lists.filter((l) => l.length >= 2).map((l) => Int32Array.from(l));
  const cumulative = new Float64Array(members.length);
  let s = 0;
  members.forEach((m, i) => {
    s += m.length;
    cumulative[i] = s;
  });
  return { members, cumulative };
}

function drawGroup(g: Groups, rnd: Random): Int32Array {
  const u = rnd.next() * g.cumulative[g.cumulative.length - 1]!;
  let lo = 0,
    hi = g.cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (g.cumulative[mid]! > u) hi = mid;
    else lo = mid + 1;
  }
  return g.members[lo]!;
}

/** Factors that can be held fixed (at least two classes, a group with two members). */
function usableFactors(factors: PreparedFactor[]): { index: number; groups: Groups }[] {
  return factors
    .map((f, index) => ({ index, groups: groupsOf(f), classes: f.classes }))
    .filter((u) => u.classes >= 2 && u.groups.members.length > 0);
}

export interface BetaVaeScoreOptions {
  /** Training points of the classifier. Default 500. */
  nTrain: number;
  /** Evaluation points. Default 300. */
  nEval: number;
  /** Pairs averaged into one point (Higgins' L). Default 64. */
  pairs: number;
}

export interface BetaVaeScoreResult {
  /** Held-out accuracy of predicting the fixed factor from the mean |z1 - z2| of its pairs. */
  score: number;
  trainAccuracy: number;
  /** 1 / number of usable factors: the score of latents that carry no factor. */
  chance: number;
  factorsUsed: string[];
}

/**
 * beta-VAE score: each point is the mean absolute latent difference over `pairs` pairs that share the
 * class of one randomly chosen factor; a linear (softmax) classifier predicts which factor it was.
 */
export function betaVaeScore(z: Matrix, factors: PreparedFactor[], o: BetaVaeScoreOptions, rnd: Random): BetaVaeScoreResult {
  const usable = usableFactors(factors);
  if (usable.length < 2) throw new Error('beta-VAE score needs at least two factors that vary');
  const d = z.cols;
  const points = (count: number) => {
    const data = new Float64Array(count * d);
    const y = new Int32Array(count);
    for (let p = 0; p < count; p++) {
      const k = rnd.int(usable.length);
      y[p] = k;
      for (let l = 0; l < o.pairs; l++) {
        const g = drawGroup(usable[k]!.groups, rnd);
        const a = g[rnd.int(g.length)]!;
        let b = g[rnd.int(g.length - 1)]!;
        if (b === a) b = g[g.length - 1]!;
        for (let j = 0; j < d; j++) data[p * d + j] += Math.abs(z.data[a * d + j]! - z.data[b * d + j]!) / o.pairs;
      }
    }
    return { x: { data, rows: count, cols: d }, y };
  };
  const train = points(o.nTrain);
  const test = points(o.nEval);
  const model = fitLogistic(train.x, train.y, usable.length, { l2: 1e-3 });
  const all = (n: number) => Array.from({ length: n }, (_, i) => i);
  return {
    score: accuracy(model, test.x, test.y, all(o.nEval)),
    trainAccuracy: accuracy(model, train.x, train.y, all(o.nTrain)),
    chance: 1 / usable.length,
    factorsUsed: usable.map((u) => factors[u.index]!.name),
  };
}

export interface FactorVaeScoreOptions {
  /** Training votes. Default 500. */
  nTrain: number;
  /** Evaluation votes. Default 300. */
  nEval: number;
  /** Samples per vote (Kim & Mnih's L). Default 64; a smaller group gives all its members. */
  batch: number;
  /**
   * Latent dimensions whose variance is below this fraction of the largest variance are left out
   * (collapsed dimensions would win every vote with their near-zero variance). Default 0.05.
   */
  prunedVarianceRatio: number;
}

export interface FactorVaeScoreResult {
  /** Held-out accuracy of the majority-vote classifier (argmin-variance dimension -> factor). */
  score: number;
  trainAccuracy: number;
  chance: number;
  /** Latent dimensions kept (not pruned). */
  activeDims: number[];
  /** Training votes, latent dim x usable factor. */
  votes: number[][];
  factorsUsed: string[];
}

/**
 * FactorVAE score: latents are divided by their standard deviation over the data; for a batch with one
 * factor fixed, the dimension with the least variance votes for that factor; a majority-vote classifier
 * maps each dimension to a factor.
 */
export function factorVaeScore(z: Matrix, factors: PreparedFactor[], o: FactorVaeScoreOptions, rnd: Random): FactorVaeScoreResult {
  const usable = usableFactors(factors);
  if (usable.length < 2) throw new Error('FactorVAE score needs at least two factors that vary');
  const d = z.cols;
  const variance = columnVariance(z);
  const sd = variance.map(Math.sqrt);
  const maxVar = Math.max(...variance);
  if (!(maxVar > 0)) throw new Error('FactorVAE score: every latent dimension is constant');
  const activeDims = Array.from({ length: d }, (_, j) => j).filter((j) => variance[j]! >= o.prunedVarianceRatio * maxVar);
  const mean = new Float64Array(d);
  const sq = new Float64Array(d);
  const vote = (): [number, number] => {
    const k = rnd.int(usable.length);
    const g = drawGroup(usable[k]!.groups, rnd);
    const take = Math.min(o.batch, g.length);
    const chosen =
      g.length <= o.batch
        ? g
        : rnd
            .permutation(g.length)
            .subarray(0, take)
            .map((i) => g[i]!);
    mean.fill(0);
    sq.fill(0);
    for (const i of chosen) {
      for (const j of activeDims) {
        const v = z.data[i * d + j]! / sd[j]!;
        mean[j] += v;
        sq[j] += v * v;
      }
    }
    let best = activeDims[0]!;
    let bestVar = Infinity;
    for (const j of activeDims) {
      const m = mean[j]! / take;
      const v = sq[j]! / take - m * m;
      if (v < bestVar) {
        bestVar = v;
        best = j;
      }
    }
    return [best, k];
  };
  const votes = Array.from({ length: d }, () => new Array<number>(usable.length).fill(0));
  for (let t = 0; t < o.nTrain; t++) {
    const [j, k] = vote();
    votes[j]![k]++;
  }
  const predicted = votes.map((row) => row.indexOf(Math.max(...row)));
  let trainHits = 0;
  votes.forEach((row, j) => {
    trainHits += row[predicted[j]!]!;
  });
  let hits = 0;
  for (let t = 0; t < o.nEval; t++) {
    const [j, k] = vote();
    if (predicted[j] === k) hits++;
  }
  return {
    score: hits / o.nEval,
    trainAccuracy: trainHits / o.nTrain,
    chance: 1 / usable.length,
    activeDims,
    votes,
    factorsUsed: usable.map((u) => factors[u.index]!.name),
  };
}

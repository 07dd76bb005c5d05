// Which rows train and which rows evaluate each forest of rankFeatureMaps (and of the study-design
// confound check, which must use the very same split): stratified K-fold, one stratified hold-out
// split, or out-of-bag — group-aware when the cases carry groups (subjects, patients, volumes).
//
// Groups. Cases of one group (the slices of one subject) are correlated: a split that puts neighbouring
// slices of one subject on both sides measures how well the forest recognises the subject, not the label.
// With groups, 'cv' uses stratified group K-fold (every group in exactly one fold; groups assigned
// greedily to the fold that keeps the class proportions most even, as scikit-learn's
// StratifiedGroupKFold) and 'holdout' takes one such fold as the evaluation rows (round(1 / testFraction)
// folds). Without groups — or when every group holds one case — the split is exactly the case-level one
// (same seeds, same rows). When a group-aware split is impossible (fewer than 2 groups, or a fold whose
// training rows lack a class) the case-level split is used and `split.note` says why; explicit `testRows`
// and 'oob' (bootstrap rows, not groups) are never group-aware. `split.groupsOnBothSides` counts the
// groups with cases on both sides of some fit: the study-design warnings (design.ts) report it.

import { Random, deriveSeed } from '../../core/random.js';
import type { RankEvaluation, SplitInfo } from './types.js';

/** One forest of the plan: the rows it trains on and the rows it is evaluated on. */
export interface PlannedFit {
  train: Int32Array;
  eval: Int32Array;
  /** Out-of-bag evaluation (train = eval = all rows). */
  oob: boolean;
  forestSeed: number;
}

export interface PlanOptions {
  evaluation: RankEvaluation;
  folds?: number;
  cvRepeats?: number;
  testFraction?: number;
  testRows?: ArrayLike<number>;
  /** Group of each row (any strings or numbers; equal values = one group). */
  caseGroups?: ArrayLike<string | number>;
  seed: number;
  forestSeed: number;
}

export interface EvaluationPlan {
  fits: PlannedFit[];
  /** The rows PIMP and the stability refits use: the training rows of a hold-out split, else all. */
  refitRows: Int32Array;
  testFraction: number | null;
  folds: number | null;
  cvRepeats: number | null;
  split: SplitInfo;
}

/** Group index of every row (0..nGroups-1, in order of first appearance), or null without groups. */
export function groupIndex(caseGroups: ArrayLike<string | number> | undefined, n: number): { of: Int32Array; count: number } | null {
  if (!caseGroups) return null;
  if (caseGroups.length !== n) throw new Error(`caseGroups has ${caseGroups.length} entries, expected ${n}`);
  const ids = new Map<string | number, number>();
  const of = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const g = caseGroups[r]!;
    let i = ids.get(g);
    if (i === undefined) ids.set(g, (i = ids.size));
    of[r] = i;
  }
  return { of, count: ids.size };
}

/** Groups with rows among both `train` and `eval` of at least one fit. */
export function groupsOnBothSides(
  fits: { train: ArrayLike<number>; eval: ArrayLike<number> }[],
  groupOf: Int32Array,
  nGroups: number,
): number {
  const both = new Uint8Array(nGroups);
  const side = new Uint8Array(nGroups);
  for (const f of fits) {
    side.fill(0);
    for (let i = 0; i < f.train.length; i++) side[groupOf[f.train[i]!]!]! |= 1;
    for (let i = 0; i < f.eval.length; i++) side[groupOf[f.eval[i]!]!]! |= 2;
    for (let g = 0; g < nGroups; g++) if (side[g] === 3) both[g] = 1;
  }
  return both.reduce((a, b) => a + b, 0);
}

/** The fits of an evaluation (see the header). yIdx: class index per row, 0..K-1. */
export function planEvaluation(yIdx: Int32Array, K: number, o: PlanOptions): EvaluationPlan {
  const n = yIdx.length;
  const seed = o.seed >>> 0;
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const groups = groupIndex(o.caseGroups, n);
  const singletons = groups !== null && groups.count === n;
  // Group-aware only where groups hold more than one case (else the split is the case-level one).
  const grouped = groups !== null && !singletons ? groups : null;
  const hasEveryClass = (rows: Int32Array): boolean => {
    const seen = new Uint8Array(K);
    for (const r of rows) seen[yIdx[r]!] = 1;
    return seen.every((v) => v === 1);
  };
  let note: string | null = null;
  const fits: PlannedFit[] = [];
  let testFraction: number | null = null;
  let folds: number | null = null;
  let cvRepeats: number | null = null;
  let refitRows: Int32Array = all;
  if (o.evaluation === 'oob') {
    fits.push({ train: all, eval: all, oob: true, forestSeed: o.forestSeed });
    if (grouped) note = "'oob' evaluation draws bootstrap rows, not groups: out-of-bag cases share groups with in-bag ones";
  } else if (o.evaluation === 'holdout') {
    let trainRows: Int32Array | null = null;
    let evalRows: Int32Array | null = null;
    if (o.testRows) {
      const test = new Uint8Array(n);
      for (let i = 0; i < o.testRows.length; i++) test[o.testRows[i]!] = 1;
      evalRows = all.filter((i) => test[i] === 1);
      trainRows = all.filter((i) => test[i] === 0);
    } else {
      testFraction = o.testFraction ?? 0.25;
      if (!(testFraction > 0 && testFraction < 1)) throw new Error('testFraction must be in (0, 1)');
      if (grouped) {
        const k = Math.max(2, Math.round(1 / testFraction));
        if (grouped.count < k) note = `only ${grouped.count} group(s), fewer than the ${k} a group-aware hold-out of ${testFraction} needs`;
        else {
          const fold = stratifiedGroupFolds(yIdx, K, grouped.of, grouped.count, k, deriveSeed(seed, 0, 0x67737074));
          const ev = all.filter((i) => fold[i] === 0);
          const tr = all.filter((i) => fold[i] !== 0);
          if (hasEveryClass(tr) && ev.length > 0) {
            trainRows = tr;
            evalRows = ev;
          } else note = 'no group-aware hold-out split keeps every class among the training rows';
        }
      }
      if (!trainRows || !evalRows) [trainRows, evalRows] = stratifiedSplit(yIdx, K, testFraction, deriveSeed(seed, 0, 0x73706c74));
    }
    if (o.testRows && grouped) note = "explicit test rows were given: the split is the caller's";
    fits.push({ train: trainRows, eval: evalRows, oob: false, forestSeed: o.forestSeed });
    refitRows = trainRows;
  } else {
    const wanted = Math.max(2, Math.min(n, Math.floor(o.folds ?? 5)));
    cvRepeats = Math.max(1, Math.floor(o.cvRepeats ?? 1));
    folds = wanted;
    let assignments: Int32Array[] | null = null;
    if (grouped) {
      if (grouped.count < 2) note = `all cases come from ${grouped.count} group: no group-aware split exists`;
      else {
        const k = Math.min(wanted, grouped.count);
        const tries: Int32Array[] = [];
        for (let rep = 0; rep < cvRepeats; rep++)
          tries.push(stratifiedGroupFolds(yIdx, K, grouped.of, grouped.count, k, deriveSeed(seed, rep, 0x67666c64)));
        const ok = tries.every((fold) => {
          for (let f = 0; f < k; f++) {
            const tr = all.filter((i) => fold[i] !== f);
            if (tr.length === all.length || !hasEveryClass(tr)) return false;
          }
          return true;
        });
        if (ok) {
          assignments = tries;
          folds = k;
          if (k < wanted) note = `${grouped.count} groups: ${k} folds instead of ${wanted}`;
        } else note = 'no group-aware fold assignment keeps every class among the training rows of every fold';
      }
    }
    for (let rep = 0; rep < cvRepeats; rep++) {
      const fold = assignments ? assignments[rep]! : stratifiedFolds(yIdx, K, folds, deriveSeed(seed, rep, 0x666f6c64));
      for (let f = 0; f < folds; f++) {
        fits.push({
          train: all.filter((i) => fold[i] !== f),
          eval: all.filter((i) => fold[i] === f),
          oob: false,
          forestSeed: deriveSeed(o.forestSeed, fits.length, 0x63766674),
        });
      }
    }
  }
  let both = 0;
  if (groups && o.evaluation === 'oob') {
    // The bootstrap can split every group of at least 2 cases.
    const size = new Int32Array(groups.count);
    for (const g of groups.of) size[g]++;
    both = size.filter((v) => v > 1).length;
  } else if (groups) both = groupsOnBothSides(fits, groups.of, groups.count);
  return {
    fits,
    refitRows,
    testFraction,
    folds,
    cvRepeats,
    split: {
      nGroups: groups ? groups.count : n,
      groupsGiven: groups !== null,
      groupAware: groups !== null && both === 0,
      groupsOnBothSides: both,
      note,
    },
  };
}

/** Stratified K-fold assignment: fold[r] in 0..folds-1, each class spread evenly over the folds. */
export function stratifiedFolds(yIdx: Int32Array, K: number, folds: number, seed: number): Int32Array {
  const rng = new Random(seed);
  const fold = new Int32Array(yIdx.length);
  let offset = 0;
  for (let k = 0; k < K; k++) {
    const rows: number[] = [];
    for (let r = 0; r < yIdx.length; r++) if (yIdx[r] === k) rows.push(r);
    rng.shuffle(rows);
    // Continue the round-robin where the previous class stopped, so fold sizes differ by at most one.
    for (let i = 0; i < rows.length; i++) fold[rows[i]!] = (offset + i) % folds;
    offset = (offset + rows.length) % folds;
  }
  return fold;
}

/**
 * Stratified group K-fold: fold[r] in 0..folds-1 with every group in one fold. Groups are shuffled with
 * the seed, ordered by how unevenly their cases spread over the classes (most uneven first, stable), and
 * each is put into the fold where the mean over classes of the standard deviation (across folds) of the
 * class's share per fold is smallest; ties go to the fold with fewest cases, then the lowest index
 * (scikit-learn's StratifiedGroupKFold with shuffle).
 */
export function stratifiedGroupFolds(
  yIdx: Int32Array,
  K: number,
  groupOf: Int32Array,
  nGroups: number,
  folds: number,
  seed: number,
): Int32Array {
  const n = yIdx.length;
  const counts = new Float64Array(nGroups * K);
  for (let r = 0; r < n; r++) counts[groupOf[r]! * K + yIdx[r]!]++;
  const classTotal = new Float64Array(K);
  for (let r = 0; r < n; r++) classTotal[yIdx[r]!]++;
  const order = Array.from({ length: nGroups }, (_, g) => g);
  new Random(seed).shuffle(order);
  const spread = (g: number): number => {
    let m = 0;
    for (let k = 0; k < K; k++) m += counts[g * K + k]!;
    m /= K;
    let v = 0;
    for (let k = 0; k < K; k++) v += (counts[g * K + k]! - m) ** 2;
    return Math.sqrt(v / K);
  };
  const keyed = order.map((g, i) => ({ g, i, s: spread(g) }));
  keyed.sort((a, b) => b.s - a.s || a.i - b.i);
  const perFold = new Float64Array(folds * K);
  const foldSize = new Float64Array(folds);
  const groupFold = new Int32Array(nGroups);
  for (const { g } of keyed) {
    let best = -1;
    let bestScore = Infinity;
    for (let f = 0; f < folds; f++) {
      for (let k = 0; k < K; k++) perFold[f * K + k] += counts[g * K + k]!;
      let score = 0;
      for (let k = 0; k < K; k++) {
        if (classTotal[k] === 0) continue;
        let mean = 0;
        for (let f2 = 0; f2 < folds; f2++) mean += perFold[f2 * K + k]! / classTotal[k]!;
        mean /= folds;
        let v = 0;
        for (let f2 = 0; f2 < folds; f2++) v += (perFold[f2 * K + k]! / classTotal[k]! - mean) ** 2;
        score += Math.sqrt(v / folds);
      }
      score /= K;
      for (let k = 0; k < K; k++) perFold[f * K + k] -= counts[g * K + k]!;
      if (score < bestScore - 1e-12 || (Math.abs(score - bestScore) <= 1e-12 && foldSize[f]! < foldSize[best]!)) {
        bestScore = score;
        best = f;
      }
    }
    groupFold[g] = best;
    for (let k = 0; k < K; k++) {
      perFold[best * K + k] += counts[g * K + k]!;
      foldSize[best] += counts[g * K + k]!;
    }
  }
  return Int32Array.from({ length: n }, (_, r) => groupFold[groupOf[r]!]!);
}

/** Stratified split: about `fraction` of each class goes to the evaluation rows. Returns [train, eval]. */
export function stratifiedSplit(yIdx: Int32Array, K: number, fraction: number, seed: number): [Int32Array, Int32Array] {
  if (!(fraction > 0 && fraction < 1)) throw new Error('testFraction must be in (0, 1)');
  const rng = new Random(seed);
  const train: number[] = [];
  const test: number[] = [];
  for (let k = 0; k < K; k++) {
    const rows: number[] = [];
    for (let r = 0; r < yIdx.length; r++) if (yIdx[r] === k) rows.push(r);
    rng.shuffle(rows);
    const nt = Math.round(rows.length * fraction);
    for (let i = 0; i < rows.length; i++) (i < nt ? test : train).push(rows[i]!);
  }
  return [Int32Array.from(train.sort((a, b) => a - b)), Int32Array.from(test.sort((a, b) => a - b))];
}

// TCAV (Kim et al. 2018, "Interpretability beyond feature attribution"): does a concept push a label
// head's class logit up? For each concept, `runs` CAVs are fitted against different random sets; a
// CAV's TCAV score is the fraction of the class's cases whose directional derivative (gradient of the
// class logit with respect to the latents, dotted with the CAV) is positive, and the concept's
// statistic is its mean score over the runs.
//
// Significance is a permutation test against random concepts: many random sets of cases of the
// concept's size, each scored over the same number of runs in the same way, give the statistic's
// distribution when concept membership is unrelated to anything. p counts those at least as far from
// 0.5 as the concept (two-sided; ties count against the concept), so 0/1 scores, constant scores and
// the correlation between runs of a small concept (its runs share cases, as a random concept's do) are
// all handled exactly. p is Bonferroni-corrected over the concepts. A verdict is withheld when the label
// head does not beat the majority-class rate, or when the concept is defined by the label itself.
import { grad, scope, tensor } from '../../engine/index.js';
import { Random } from '../../core/random.js';
import { latentCells, type GridShape, type LatentMaps } from '../../models/encode.js';
import { CavFitter } from './cav.js';
import type { Concept } from './concepts.js';
import { trainProbe, type LabelHead, type ProbeOptions } from './label-head.js';
import { mean, std, welchTTest } from '../../core/stats.js';
import { circularity, conceptWarnings, describeScores, fmt, fmtP, jaccard, probeGate, type TcavProbeGate } from './verdict-text.js';

export type { TcavProbeGate } from './verdict-text.js';

/** Version of the result's shape (tcav.json `version`): 2 added verdicts, the random-concept test and the probe gate. */
export const TCAV_RESULT_VERSION = 2;

/** Options of `runTcav`; every field has a default. */
export interface TcavOptions {
  /** The class whose logit is differentiated. Default 1. */
  targetClass?: number;
  /** The label head. Default: a probe trained on the latents and labels with `probe` options. */
  head?: LabelHead;
  /** Options of the probe trained when `head` is absent (default an MLP with 32 hidden units). */
  probe?: ProbeOptions;
  /** Cases whose directional derivatives are counted. Default: every case labelled `targetClass`. */
  cases?: ArrayLike<number>;
  /** CAVs per concept (and per random concept), each against its own random set (Kim et al.'s repeated runs). Default 20. */
  runs?: number;
  /**
   * Most cases per concept or random set in one CAV (a larger concept is subsampled per run). Default 50
   * (Kim et al. used about 50 images). Runs of a concept not much larger than this share most of their
   * cases; the random concepts share theirs the same way, so the test allows for it.
   */
  setSize?: number;
  /**
   * Draw each concept's random sets from the cases outside the concept. Default true. Kim et al.'s
   * random images come from another pool and rarely show the concept; random cases of one dataset show
   * it at its base rate (half the phantoms have a lesion), which dilutes the CAV. Random concepts are
   * treated the same way (their random sets come from outside them).
   */
  excludeConceptFromRandom?: boolean;
  /** L2 penalty of the CAV's logistic regression (standardised weights). Default 0.01. */
  l2?: number;
  /** Held-out fraction of each set for the CAV accuracy. Default 0.3. */
  testFraction?: number;
  /** Family-wise significance level, Bonferroni-corrected over the concepts. Default 0.05. */
  alpha?: number;
  /**
   * Random concepts drawn per concept size: the null of the permutation test. Default
   * ceil(20 x concepts / alpha) - 1, so the smallest p, 1 / (R + 1), is alpha / 20 after Bonferroni: a
   * concept passes with up to 18 random concepts as extreme as it, and the p-value's Monte Carlo error
   * near the threshold (about 10 such concepts expected) is about 30%.
   */
  randomConcepts?: number;
  /**
   * Stop drawing random concepts for a concept once this many were as extreme as it (Besag & Clifford
   * 1991: p = h / drawn, still a valid p-value). Default 10; 0 draws all `randomConcepts`. A clearly
   * non-significant concept then costs tens of random concepts instead of hundreds.
   */
  stopAfter?: number;
  seed?: number;
  /** Names of the head's classes (the target's), for messages. */
  classNames?: string[];
}

export type TcavVerdict = 'significant' | 'not significant' | 'not determined';

/** One concept's result. */
export interface TcavConceptResult {
  name: string;
  spec?: string;
  /** Cases in the concept set. */
  size: number;
  /** TCAV score of each run (fraction of class cases with a positive directional derivative). */
  scores: number[];
  /** Mean and sample standard deviation of `scores`; the mean is the tested statistic. */
  score: number;
  std: number;
  /** Mean held-out accuracy of the concept's CAVs (0.5 = the concept is not linearly separable from random). */
  cavAccuracy: number;
  cavAccuracies: number[];
  /**
   * |mean over runs and class cases of cos(gradient, CAV)|: how closely the CAVs follow the head's
   * gradients. It breaks ties of the score in the test (two concepts scoring 1 in every run).
   */
  alignment: number;
  /** Random concepts of `size` cases the concept was compared with. */
  randomConcepts: number;
  /** Of those, how many were at least as far from 0.5 (`asFarInScore`), and how many of those were not less aligned (`asExtreme`, the count behind p). */
  asFarInScore: number;
  asExtreme: number;
  /** Two-sided permutation p: (1 + asExtreme) / (1 + randomConcepts), or stopAfter / randomConcepts when drawing stopped early. */
  p: number;
  /** min(1, p x number of concepts). */
  pBonferroni: number;
  verdict: TcavVerdict;
  /** One sentence with the evidence for the verdict. */
  reason: string;
  /** verdict === 'significant'. */
  significant: boolean;
  /** The concept is defined by the label the head predicts (a `label:` concept selecting exactly the target class's cases or, with two classes, the others): no verdict. */
  circular: boolean;
  /** Reasons to distrust this concept's verdict (small fixed concept, chance-level CAV, 0/1 scores, circular); empty when none. */
  warnings: string[];
  /**
   * Welch t-test of `scores` against the random-versus-random scores: the significance test of
   * tcav.json version 1, kept for comparison only. It is anti-conservative for small concepts and
   * meaningless for 0/1 or constant scores; verdicts do not use it.
   */
  tTest: { t: number; df: number; p: number; pBonferroni: number };
}

/** The result of `runTcav` (written as tcav.json by the CLI). */
export interface TcavResult {
  version: number;
  targetClass: number;
  /** Class cases whose derivatives were counted. */
  cases: number;
  head: { kind: LabelHead['kind']; classes: number; heldOutAccuracy?: number };
  gate: TcavProbeGate;
  /** Latent shape per case [K, h, w] and flattened dimension D. */
  latentShape: [number, number, number];
  runs: number;
  setSize: number;
  alpha: number;
  seed: number;
  /** The test behind `p`, its random concepts per size (R), early stop (h) and smallest attainable p. */
  significance: {
    test: 'random-concept permutation';
    statistic: string;
    tieBreak: string;
    randomConcepts: number;
    stopAfter: number;
    smallestP: number;
  };
  /** Per concept size: the random concepts drawn and their statistics (mean score over `runs`). */
  randomConcepts: {
    size: number;
    drawn: number;
    scores: number[];
    alignments: number[];
    score: number;
    std: number;
    cavAccuracy: number;
  }[];
  /** Random-versus-random CAVs (two fresh random sets each): the null of the version-1 t-test, kept for comparison. */
  random: { scores: number[]; score: number; std: number; cavAccuracy: number };
  concepts: TcavConceptResult[];
  /** CAVs fitted and wall time. */
  cost: { cavFits: number; seconds: number };
}

/** d logit[targetClass] / d z for the given cases, N x D row-major. */
function classGradients(
  head: LabelHead,
  maps: LatentMaps<GridShape>,
  cases: ArrayLike<number>,
  targetClass: number,
  batch = 256,
): Float32Array {
  const [, k, h, w] = maps.shape;
  const d = k * h * w;
  const out = new Float32Array(cases.length * d);
  for (let start = 0; start < cases.length; start += batch) {
    const b = Math.min(batch, cases.length - start);
    scope(() => {
      const data = new Float32Array(b * d);
      for (let r = 0; r < b; r++) data.set(maps.data.subarray(cases[start + r]! * d, (cases[start + r]! + 1) * d), r * d);
      const z = tensor(data, [b, k, h, w]).requiresGrad_(true);
      const logit = head.logits(z).select(1, targetClass).sum();
      const [g] = grad(logit, z);
      out.set(g!.contiguous().toArray() as Float32Array, start * d);
    });
  }
  return out;
}

/**
 * TCAV score of direction `v` (fraction of gradient rows with a positive dot product with it) and its
 * alignment with the gradients (mean cosine, signed; rows with a zero gradient count 0).
 */
function directional(g: Float32Array, gNorm: Float64Array, d: number, v: Float64Array): { score: number; align: number } {
  const n = gNorm.length;
  let pos = 0;
  let cos = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += g[i * d + j]! * v[j]!;
    if (s > 0) pos++;
    if (gNorm[i]! > 0) cos += s / gNorm[i]!;
  }
  return n ? { score: pos / n, align: cos / n } : { score: NaN, align: NaN };
}

function sample(set: ArrayLike<number>, size: number, rnd: Random): Int32Array {
  if (set.length <= size) return Int32Array.from(set);
  const perm = rnd.permutation(set.length);
  return Int32Array.from(perm.subarray(0, size), (i) => set[i]!);
}

/**
 * TCAV of `concepts` for `targetClass` on latent maps (N x K x h x w; volumes' maps read as their cells,
 * `latentCells`) with integer labels (N).
 * Random sets and random concepts are drawn from all N cases.
 */
export function runTcav(maps: LatentMaps, labels: ArrayLike<number>, concepts: Concept[], options: TcavOptions = {}): TcavResult {
  const t0 = performance.now();
  const latents = latentCells(maps);
  const [n, k, h, w] = latents.shape;
  const d = k * h * w;
  if (labels.length !== n) throw new Error(`tcav: ${labels.length} labels for ${n} cases`);
  if (concepts.length === 0) throw new Error('tcav: no concepts given');
  const targetClass = options.targetClass ?? 1;
  const runs = options.runs ?? 20;
  const setSize = options.setSize ?? 50;
  const alpha = options.alpha ?? 0.05;
  const seed = options.seed ?? 0;
  const nConcepts = concepts.length;
  const R = options.randomConcepts ?? Math.ceil((20 * nConcepts) / alpha) - 1;
  const stopAfter = options.stopAfter ?? 10;
  const exclude = options.excludeConceptFromRandom ?? true;
  if (runs < 2) throw new Error('tcav: runs must be at least 2');
  if (!(Number.isInteger(R) && R >= 1)) throw new Error(`tcav: randomConcepts must be a positive integer, got ${R}`);
  const cases = options.cases
    ? Int32Array.from(options.cases)
    : Int32Array.from(Array.from({ length: n }, (_, i) => i).filter((i) => labels[i] === targetClass));
  if (cases.length === 0) throw new Error(`tcav: no cases of class ${targetClass}`);
  const ownHead = !options.head;
  const head = options.head ?? trainProbe(latents, labels, { ...options.probe, seed: options.probe?.seed ?? seed });
  if (targetClass < 0 || targetClass >= head.classes)
    throw new Error(`tcav: class ${targetClass} is not among the head's ${head.classes} classes`);
  try {
    const gate = probeGate(head, latents, labels);
    const g = classGradients(head, latents, cases, targetClass);
    const gNorm = new Float64Array(cases.length);
    for (let i = 0; i < cases.length; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += g[i * d + j]! ** 2;
      gNorm[i] = Math.sqrt(s);
    }
    const fitter = new CavFitter(latents.data, d, { l2: options.l2 ?? 0.01, testFraction: options.testFraction ?? 0.3 });
    let cavFits = 0;
    /** `runs` CAVs of a set against random sets (from outside it, unless `exclude` is off). */
    const scoreSet = (indices: Int32Array, rnd: Random): { scores: number[]; accs: number[]; aligns: number[] } => {
      let pool: Int32Array | null = null;
      if (exclude && n - indices.length >= 2) {
        const inSet = new Uint8Array(n);
        for (const i of indices) inSet[i] = 1;
        pool = new Int32Array(n - indices.length);
        let p = 0;
        for (let i = 0; i < n; i++) if (!inSet[i]) pool[p++] = i;
      }
      const scores: number[] = [];
      const accs: number[] = [];
      const aligns: number[] = [];
      for (let r = 0; r < runs; r++) {
        const negatives = pool ? sample(pool, Math.min(setSize, pool.length), rnd) : sample(rnd.permutation(n), Math.min(setSize, n), rnd);
        const cav = fitter.fit(sample(indices, setSize, rnd), negatives, rnd);
        cavFits++;
        const dd = directional(g, gNorm, d, cav.direction);
        scores.push(dd.score);
        aligns.push(dd.align);
        accs.push(cav.accuracy);
      }
      return { scores, accs, aligns };
    };

    // Random-versus-random CAVs, each between two fresh random sets: the version-1 t-test's null.
    const rvr = new Random(`${seed}/tcav`);
    const draw = () => sample(rvr.permutation(n), Math.min(setSize, n), rvr);
    const nullScores: number[] = [];
    const nullAcc: number[] = [];
    for (let r = 0; r < runs; r++) {
      const cav = fitter.fit(draw(), draw(), rvr);
      cavFits++;
      nullScores.push(directional(g, gNorm, d, cav.direction).score);
      nullAcc.push(cav.accuracy);
    }

    // Each concept's runs from its own stream, so its scores do not depend on the other concepts.
    const scored = concepts.map((c, i) => scoreSet(c.indices, new Random(`${seed}/tcav/concept/${i}`)));
    const stat = scored.map((s) => mean(s.scores));
    const align = scored.map((s) => Math.abs(mean(s.aligns)));

    // The random-concept null, one stream per concept size, shared by the concepts of that size. Each
    // concept counts the random concepts at least as far from 0.5 as it, a tie (0/1 scores make them
    // common) broken by the CAVs' alignment with the gradients; drawing stops when every concept of the
    // size has `stopAfter` of them or R were drawn.
    const tol = 1e-9;
    const asExtreme = new Array<number>(nConcepts).fill(0);
    const tiedOrBeyond = new Array<number>(nConcepts).fill(0);
    const tiedAlignMax = new Array<number>(nConcepts).fill(-Infinity);
    const drawnFor = new Array<number>(nConcepts).fill(0);
    const stopped = new Array<boolean>(nConcepts).fill(false);
    const randomConcepts: TcavResult['randomConcepts'] = [];
    const sizes = [...new Set(concepts.map((c) => c.indices.length))].sort((a, b) => a - b);
    for (const size of sizes) {
      const members = concepts.map((c, i) => (c.indices.length === size ? i : -1)).filter((i) => i >= 0);
      const rnd = new Random(`${seed}/tcav/random-concepts/${size}`);
      const stats: number[] = [];
      const aligns: number[] = [];
      const accs: number[] = [];
      while (stats.length < R && members.some((i) => !stopped[i])) {
        const set = Int32Array.from(rnd.permutation(n).subarray(0, size));
        const s = scoreSet(set, rnd);
        const v = mean(s.scores);
        const a = Math.abs(mean(s.aligns));
        stats.push(v);
        aligns.push(a);
        accs.push(mean(s.accs));
        for (const i of members) {
          if (stopped[i]) continue;
          drawnFor[i]++;
          const far = Math.abs(v - 0.5) - Math.abs(stat[i]! - 0.5);
          if (far >= -tol) tiedOrBeyond[i]++;
          if (Math.abs(far) <= tol) tiedAlignMax[i] = Math.max(tiedAlignMax[i]!, a);
          if (far > tol || (far >= -tol && a >= align[i]! - tol)) asExtreme[i]++;
          if (stopAfter > 0 && asExtreme[i] === stopAfter) stopped[i] = true;
        }
      }
      randomConcepts.push({
        size,
        drawn: stats.length,
        scores: stats,
        alignments: aligns,
        score: mean(stats),
        std: std(stats),
        cavAccuracy: mean(accs),
      });
    }

    const smallestP = 1 / (R + 1);
    const inTarget = new Uint8Array(n);
    let targetSize = 0;
    for (let i = 0; i < n; i++)
      if (labels[i] === targetClass) {
        inTarget[i] = 1;
        targetSize++;
      }
    const results = concepts.map((c, i): TcavConceptResult => {
      const { scores, accs } = scored[i]!;
      const size = c.indices.length;
      const p = stopped[i] ? stopAfter / drawnFor[i]! : (asExtreme[i]! + 1) / (drawnFor[i]! + 1);
      const pBonferroni = Math.min(1, p * nConcepts);
      const cavAccuracy = mean(accs);
      const warnings = conceptWarnings(size, setSize, cavAccuracy, scores, nullScores);
      const circular = circularity(c, targetClass, head.classes, inTarget, targetSize, options.classNames?.[targetClass]);
      if (circular) warnings.push(circular);
      else {
        const overlap = jaccard(c.indices, inTarget, targetSize);
        if (overlap >= 0.9) {
          warnings.push(
            `its cases are nearly the class-${targetClass} cases (Jaccard ${fmt(overlap)}): a check that the head uses what defines the class, not evidence about a concept distinct from it`,
          );
        }
      }
      const group = randomConcepts.find((r) => r.size === size)!;
      const ties = tiedOrBeyond[i]! - asExtreme[i]!;
      const nullText =
        `${tiedOrBeyond[i]} of ${drawnFor[i]} random concepts of ${size} cases were as far from 0.5 ` +
        `(their scores ${fmt(group.score)} ± ${fmt(group.std)})` +
        (ties > 0
          ? `, ${ties} of them tied with it but with CAVs less aligned with the head's gradients (mean |cos| at most ${fmt(tiedAlignMax[i]!)} against ${fmt(align[i]!)})`
          : '') +
        (stopped[i] ? ', drawing stopped there' : '');
      const evidence = `${describeScores(scores)}; ${nullText}; p ${fmtP(p)} (Bonferroni ${fmtP(pBonferroni)})`;
      let verdict: TcavVerdict;
      let reason: string;
      if (!gate.passed) {
        verdict = 'not determined';
        reason = `No verdict: ${gate.note} (${evidence}).`;
      } else if (circular) {
        verdict = 'not determined';
        reason = `No verdict: the concept is ${circular} (${evidence}).`;
      } else if (pBonferroni <= alpha) {
        verdict = 'significant';
        reason = `${evidence[0]!.toUpperCase()}${evidence.slice(1)} ≤ α ${alpha}.`;
      } else if (asExtreme[i] === 0 && Math.min(1, smallestP * nConcepts) > alpha) {
        verdict = 'not determined';
        reason = `No verdict: ${evidence}, but ${R} random concepts cannot give a p below ${fmtP(smallestP)} (Bonferroni ${fmtP(Math.min(1, smallestP * nConcepts))} > α ${alpha}); draw more random concepts.`;
      } else {
        verdict = 'not significant';
        reason = `${evidence[0]!.toUpperCase()}${evidence.slice(1)} > α ${alpha}.`;
      }
      const t = welchTTest(scores, nullScores);
      return {
        name: c.name,
        ...(c.spec !== undefined ? { spec: c.spec } : {}),
        size,
        scores,
        score: stat[i]!,
        std: std(scores),
        cavAccuracy,
        cavAccuracies: accs,
        alignment: align[i]!,
        randomConcepts: drawnFor[i]!,
        asExtreme: asExtreme[i]!,
        asFarInScore: tiedOrBeyond[i]!,
        p,
        pBonferroni,
        verdict,
        reason,
        significant: verdict === 'significant',
        circular: circular !== null,
        warnings,
        tTest: { t: t.t, df: t.df, p: t.p, pBonferroni: Math.min(1, t.p * nConcepts) },
      };
    });
    return {
      version: TCAV_RESULT_VERSION,
      targetClass,
      cases: cases.length,
      head: {
        kind: head.kind,
        classes: head.classes,
        ...(head.heldOutAccuracy !== undefined ? { heldOutAccuracy: head.heldOutAccuracy } : {}),
      },
      gate,
      latentShape: [k, h, w],
      runs,
      setSize,
      alpha,
      seed,
      significance: {
        test: 'random-concept permutation',
        statistic: '|mean score over runs - 0.5|, two-sided',
        tieBreak: 'alignment: |mean cos(gradient, CAV)|',
        randomConcepts: R,
        stopAfter,
        smallestP,
      },
      randomConcepts,
      random: { scores: nullScores, score: mean(nullScores), std: std(nullScores), cavAccuracy: mean(nullAcc) },
      concepts: results,
      cost: { cavFits, seconds: (performance.now() - t0) / 1000 },
    };
  } finally {
    if (ownHead) head.dispose();
  }
}

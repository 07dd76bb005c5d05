// The null distribution of the marginal statistic under shuffled labels: the whole evaluation (plan,
// forests, per-case Brier importance) re-run with the labels permuted, so the marginal verdict compares
// the statistic with itself on data where no map can carry label information.
//
// Why. The paired t-test of mean d > 0 assumes that replacing an uninformative map leaves the Brier score
// unchanged on average. For correlated maps it does not: the replacement puts cases where no real case
// lies (far from the training rows, in sparse leaves), and a forest predicts worse there even when it was
// fitted to noise. bench calibration measured it: with shuffled labels the t-test starred 52% of a
// PneumoniaMNIST ConvAE's maps (t statistics centred near 2), and 2% once the maps were decorrelated.
// The label permutation keeps that bias in the null, so it cancels.
//
// The test. With the B null means m_b of map g (mean and sd m0, s0), the observed mean m is one more draw
// from the same procedure under H0, so t = (m - m0) / (s0 sqrt(1 + 1/B)) is Student t with B - 1 degrees of
// freedom when the null means are normal — they are means over the evaluated cases, close to normal
// but measured with a right skew up to 0.56 (200 nulls), which makes the far tail somewhat liberal (an
// observed z of 2.96: t-approximation p 0.002, rank p 0.015). The p-value is not floored at 1/(B + 1) and
// B stays small (default 19), which BH across many maps needs; `exceedances` (null means >= m) gives the
// distribution-free rank p-value (exceedances + 1) / (B + 1) beside it. With few cases of a class the null
// means are skewed enough that the t tail is liberal (ISIC, 21 malignant: 6.8% of null p-values <= 0.05);
// there rank.ts sizes B for BH and uses the rank p-value instead (exactNull, rank-settings.ts).
//
// How labels are permuted (labelPermuter): a shuffle across cases assumes exchangeable cases. With case
// groups (the slices of one subject) that fails, and the null comes out narrower than it should be:
// - every group's cases share one label (a label per subject): the groups' labels are permuted among the
//   groups, each group keeping one label;
// - labels vary within groups and each case's position in its group is known (slice index): each group's
//   labels are rotated by a random shift along that order, so a run of tumour slices stays a run, moved
//   elsewhere in the stack — the correlation of neighbouring slices is kept;
// - otherwise the cases are shuffled and rank-warnings.ts warns that the p-values are somewhat liberal.

import { type BinnedMatrix, RandomForest, type ForestOptions } from '../../forest/index.js';
import { Random, deriveSeed } from '../../core/random.js';
import { caseImportance } from './cpi.js';
import { planEvaluation, type PlanOptions } from './plan.js';
import { mean, std, tUpperTail } from '../../core/stats.js';
import { gatherRefits, mineOf, type RefitShare } from './refit-share.js';
import { inLanes } from '../../util/lanes.js';

/** How the labels of the null are permuted (see the header). */
export type NullPermutation = 'cases' | 'groups' | 'within-group shifts';

/** How the null permutes labels: its kind, whether some group holds several cases, and the permutation itself. */
export interface LabelPermuter {
  kind: NullPermutation;
  grouped: boolean;
  /** Writes one permuted copy of the labels into `out`, drawing from `rng`. */
  permute: (rng: Random, out: Int32Array) => void;
}

/** The permutation the null uses for these labels, groups and in-group positions (see the header). */
export function labelPermuter(
  yIdx: Int32Array,
  groups: ArrayLike<string | number> | undefined,
  order: ArrayLike<number> | undefined,
): LabelPermuter {
  const n = yIdx.length;
  const members = new Map<string | number, number[]>();
  if (groups)
    for (let i = 0; i < n; i++) {
      const g = groups[i]!;
      let m = members.get(g);
      if (!m) members.set(g, (m = []));
      m.push(i);
    }
  const blocks = [...members.values()];
  const shuffleCases = (rng: Random, out: Int32Array): void => {
    const perm = Int32Array.from({ length: n }, (_, i) => i);
    rng.shuffle(perm);
    for (let i = 0; i < n; i++) out[i] = yIdx[perm[i]!]!;
  };
  const grouped = blocks.some((b) => b.length > 1);
  if (!grouped) return { kind: 'cases', grouped, permute: shuffleCases };
  if (blocks.length >= 2 && blocks.every((b) => b.every((i) => yIdx[i] === yIdx[b[0]!]))) {
    const label = blocks.map((b) => yIdx[b[0]!]!);
    return {
      kind: 'groups',
      grouped,
      permute: (rng, out) => {
        const perm = Int32Array.from({ length: blocks.length }, (_, i) => i);
        rng.shuffle(perm);
        blocks.forEach((b, k) => {
          for (const i of b) out[i] = label[perm[k]!]!;
        });
      },
    };
  }
  if (order) {
    const sorted = blocks.map((b) => [...b].sort((a, c) => order[a]! - order[c]! || a - c));
    return {
      kind: 'within-group shifts',
      grouped,
      permute: (rng, out) => {
        for (const b of sorted) {
          const shift = b.length > 1 ? 1 + rng.int(b.length - 1) : 0;
          for (let j = 0; j < b.length; j++) out[b[j]!] = yIdx[b[(j + shift) % b.length]!]!;
        }
      },
    };
  }
  return { kind: 'cases', grouped, permute: shuffleCases };
}

export interface MarginalNullOptions {
  groupOf: Int32Array;
  nGroups: number;
  /** Class values, indexed by class index (the labels given to the forests). */
  classes: number[];
  metric: 'auc' | 'accuracy';
  repeats: number;
  permutations: number;
  /** The plan of the observed evaluation (its labels are replaced by the permuted ones). */
  plan: Omit<PlanOptions, 'forestSeed'>;
  /** How labels are permuted (labelPermuter of the observed labels). */
  permute: LabelPermuter['permute'];
  forest: ForestOptions;
  seed: number;
  /** Progress over this rank's permutations. */
  onProgress?: (done: number, total: number) => void;
  /** Data-parallel ranks to split the permutations over (refit-share.ts); every rank gets every mean. */
  share?: RefitShare;
}

export interface MarginalNull {
  /** means[b * G + g]: mean marginal d of map g over the evaluated cases under permutation b. */
  means: Float64Array;
  permutations: number;
}

/**
 * Runs the evaluation `permutations` times with the labels shuffled; deterministic in `seed`. Permutation b
 * draws only from seeds of b, so it is the same on whichever rank fits it.
 */
export async function marginalNull(binned: BinnedMatrix, yIdx: Int32Array, K: number, o: MarginalNullOptions): Promise<MarginalNull> {
  const n = yIdx.length;
  const G = o.nGroups;
  const B = o.permutations;
  const mine = mineOf(B, o.share);
  const own = new Float64Array(mine.length * G);
  const { permute } = o;
  let done = 0;
  const one = async (k: number): Promise<void> => {
    const b = mine[k]!;
    const permY = new Int32Array(n);
    permute(new Random(deriveSeed(o.seed, b, 0x6d6e756c)), permY);
    const labels = Float64Array.from(permY, (c) => o.classes[c]);
    const forestSeed = deriveSeed(o.seed, b, 0x6e666f72);
    const { fits } = planEvaluation(permY, K, { ...o.plan, forestSeed });
    const sum = new Float64Array(G * n);
    const count = new Int32Array(n);
    for (let fi = 0; fi < fits.length; fi++) {
      const fit = fits[fi];
      const forest = new RandomForest({ ...o.forest, seed: fit.forestSeed, oobScore: false });
      await forest.fitBinned(binned, labels, { rows: fit.train });
      // A fold whose shuffled training rows lack a class cannot be scored like the observed one: skip it.
      if (forest.nClasses !== K) continue;
      const ci = await caseImportance(forest, binned, permY, {
        groupOf: o.groupOf,
        nGroups: G,
        rows: fit.eval,
        oobTrainRows: fit.oob ? fit.train : undefined,
        metric: o.metric,
        repeats: o.repeats,
        seed: deriveSeed(forestSeed, fi, 0x70657266),
        conditional: null,
      });
      const m = fit.eval.length;
      for (let i = 0; i < m; i++) {
        if (ci.valid[i] === 0) continue;
        const r = fit.eval[i];
        count[r]++;
        for (let g = 0; g < G; g++) sum[g * n + r] += ci.marginal[g * m + i];
      }
    }
    for (let g = 0; g < G; g++) {
      let s = 0;
      let c = 0;
      for (let r = 0; r < n; r++)
        if (count[r] > 0) {
          s += sum[g * n + r] / count[r];
          c++;
        }
      own[k * G + g] = c > 0 ? s / c : NaN;
    }
    o.onProgress?.(++done, mine.length);
  };
  // Two permutations at once: one's forest fits and base walks (calling thread) overlap the other's
  // replaced walks (workers). Each permutation draws only from its own seeds, so the order does not matter.
  await inLanes(mine.length, 2, one);
  return { means: gatherRefits(own, B, G, o.share), permutations: B };
}

/**
 * One map's null summary and the permutation-calibrated p-value of its observed mean `m`: the Student t
 * approximation, or with `exact` the rank p-value (exceedances + 1) / (B + 1).
 */
export function marginalNullTest(
  m: number,
  nul: MarginalNull,
  g: number,
  G: number,
  exact = false,
): { nullMean: number; nullStd: number; permutations: number; exceedances: number; t: number; pValue: number } {
  const B = nul.permutations;
  const col = new Float64Array(B);
  for (let b = 0; b < B; b++) col[b] = nul.means[b * G + g];
  const m0 = mean(col);
  const s0 = std(col);
  let exceedances = 0;
  for (let b = 0; b < B; b++) if (col[b] >= m) exceedances++;
  const se = s0 * Math.sqrt(1 + 1 / B);
  if (exact || !(se > 0)) {
    // Every null mean equal (a map no tree reads): only the rank p-value means anything.
    const t = se > 0 ? (m - m0) / se : m > m0 ? Infinity : m < m0 ? -Infinity : 0;
    return {
      nullMean: m0,
      nullStd: s0,
      permutations: B,
      exceedances,
      t,
      pValue: (exceedances + 1) / (B + 1),
    };
  }
  const t = (m - m0) / se;
  return { nullMean: m0, nullStd: s0, permutations: B, exceedances, t, pValue: tUpperTail(t, B - 1) };
}

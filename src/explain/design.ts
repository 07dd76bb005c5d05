// Study-design diagnostics: what can make a ranking or an explanation describe the data set's design
// instead of the label. Seen on real data: one subject's 130 correlated axial slices split at random
// (neighbouring slices on both sides), a label ("tumour present") that slice level alone predicted with
// AUC 0.96, and a contrastive reference of the smallest brain sections — and nothing warned.
//
// - Groups: how many subjects (groups) the cases come from; fewer than FEW_GROUPS draws a warning.
// - The split: a group on both sides of a training / evaluation split (the rank split is group-aware when
//   groups are known, plan.ts; explicit rows, 'oob' or an impossible group split can still do it).
// - Cases per class: fewer than FEW_CASES of a class.
// - Confound check: a small forest on nuisance statistics per case — foreground area and median intensity
//   per channel, and the slice index where the source knows it — predicts the label with the same
//   cross-validation as the ranking (rankFeatureMaps on one column per statistic, so the same folds for
//   the same seed and groups). When it predicts the label about as well as the maps (within CONFOUND_GAP
//   of their score, with some skill of its own) or well on its own (skill >= CONFOUND_SKILL), the label
//   is confounded with the statistics of largest Brier importance, and the maps may encode them.
//
// Skill = (score - chance) / (1 - chance), chance = 0.5 for AUC and the majority-class share for
// accuracy: AUC 0.8 is skill 0.6, AUC 0.65 is skill 0.3.
import { rankFeatureMaps } from './importance/rank.js';
import type { RankEvaluation, SplitInfo } from './importance/types.js';

/** Fewer groups than this draws the few-groups warning. */
export const FEW_GROUPS = 5;
/** Fewer cases of a class than this draws a warning. */
export const FEW_CASES = 10;
/** The nuisance forest within this much of the maps' score (AUC or accuracy) counts as "about as well". */
export const CONFOUND_GAP = 0.05;
/** Skill of the nuisance forest from which it warns whatever the maps score (AUC 0.8). */
export const CONFOUND_SKILL = 0.6;
/** Least skill for the "about as well as the maps" clause (AUC 0.65), so chance-level ties do not warn. */
export const CONFOUND_MIN_SKILL = 0.3;

/** Nuisance statistics per case: values[i * names.length + j] is statistic j of case i. */
export interface NuisanceStats {
  names: string[];
  values: Float64Array;
  /** The foreground threshold used per channel (in channel order; see foregroundThreshold). */
  thresholds: number[];
  /** Channels whose intensity statistic left out ground-truth regions (masks visible in that channel). */
  maskedChannels: string[];
}

/** A ground-truth region to leave out of the intensity statistics: N x H x W (indexed like `images`), and the channels that show it. */
export interface ExcludedRegion {
  channels: string[];
  data: Uint8Array;
}

/**
 * Nuisance statistics of N cases (images N x C x H x W; row `rows[i]` of `images` for case i, all rows
 * when absent), per channel:
 * - `foreground area <ch>`: the fraction of pixels above the channel's foreground threshold (a low
 *   threshold over the cases' pixels: the background level + 3 noise sd, see foregroundThreshold);
 * - `median intensity <ch>`: the median of the foreground pixels, leaving out the ground-truth regions
 *   (`exclude`, e.g. lesion masks) visible in that channel. The finding itself is not a nuisance: a
 *   whole-image mean of a lesion channel is raised by the lesion (on phantoms it predicted the lesion
 *   with AUC 1.0), and the median is the global brightness least moved by a small finding where no mask
 *   is known;
 * then `slice index` when given (the case's position in its group).
 */
export function nuisanceStatistics(
  images: Float32Array,
  shape: readonly [number, number, number, number],
  channelNames: string[],
  o: { rows?: ArrayLike<number>; sliceIndex?: ArrayLike<number> | null; exclude?: ExcludedRegion[] } = {},
): NuisanceStats {
  const [N, C, H, W] = shape;
  const rows = o.rows ?? Int32Array.from({ length: N }, (_, i) => i);
  const n = rows.length;
  const HW = H * W;
  const hasSlice = o.sliceIndex != null && o.sliceIndex.length === n;
  const F = 2 * C + (hasSlice ? 1 : 0);
  const names = [
    ...channelNames.map((c) => `foreground area ${c}`),
    ...channelNames.map((c) => `median intensity ${c}`),
    ...(hasSlice ? ['slice index'] : []),
  ];
  const values = new Float64Array(n * F);
  const thresholds: number[] = [];
  const maskedChannels: string[] = [];
  const B = 1024;
  const hist = new Int32Array(B);
  for (let c = 0; c < C; c++) {
    const { threshold: t, hi } = foregroundThreshold(images, rows, C, HW, c);
    thresholds.push(t);
    const masks = (o.exclude ?? []).filter((m) => m.channels.includes(channelNames[c]!) && m.data.length === N * HW).map((m) => m.data);
    if (masks.length) maskedChannels.push(channelNames[c]!);
    const top = hi > t ? hi : t + 1;
    for (let i = 0; i < n; i++) {
      const r = rows[i]!;
      const off = (r * C + c) * HW;
      let above = 0;
      let kept = 0;
      hist.fill(0);
      for (let p = 0; p < HW; p++) {
        const v = images[off + p]!;
        if (!(v > t)) continue;
        above++;
        let masked = false;
        for (const m of masks)
          if (m[r * HW + p]) {
            masked = true;
            break;
          }
        if (masked) continue;
        hist[Math.min(B - 1, Math.floor(((v - t) / (top - t)) * B))]++;
        kept++;
      }
      values[i * F + c] = above / HW;
      // Median from the histogram (bins of (top - t) / 1024), linear within the bin.
      let med = t;
      if (kept > 0) {
        const half = kept / 2;
        let acc = 0;
        for (let b = 0; b < B; b++) {
          if (acc + hist[b]! >= half) {
            med = t + ((b + (half - acc) / hist[b]!) / B) * (top - t);
            break;
          }
          acc += hist[b]!;
        }
      }
      values[i * F + C + c] = med;
    }
  }
  if (hasSlice) for (let i = 0; i < n; i++) values[i * F + 2 * C] = o.sliceIndex![i]!;
  return { names, values, thresholds, maskedChannels };
}

/**
 * The foreground threshold of one channel over the given cases, from a strided sample of their pixels:
 * Otsu's threshold (256 bins between the 0.5th and 99.5th percentile) splits background from tissue; the
 * background level is the mode of the values below it, its noise the root mean square deviation of the
 * values below that mode (the side no tissue reaches); the threshold is level + 3 noise, at most Otsu's.
 * A low threshold: every nonzero pixel of a skull-stripped MRI, background + 3 sd of the noise on phantoms.
 * Also returns the 99.5th percentile.
 */
function foregroundThreshold(
  images: Float32Array,
  rows: ArrayLike<number>,
  C: number,
  HW: number,
  c: number,
): { threshold: number; hi: number } {
  const n = rows.length;
  const total = n * HW;
  const stride = Math.max(1, Math.floor(total / 200_000));
  const sample: number[] = [];
  for (let q = 0; q < total; q += stride) {
    const v = images[(rows[Math.floor(q / HW)]! * C + c) * HW + (q % HW)]!;
    if (Number.isFinite(v)) sample.push(v);
  }
  if (sample.length === 0) return { threshold: 0, hi: 0 };
  sample.sort((a, b) => a - b);
  const lo = sample[Math.floor(0.005 * (sample.length - 1))]!;
  const hi = sample[Math.ceil(0.995 * (sample.length - 1))]!;
  if (!(hi > lo)) return { threshold: lo, hi };
  const B = 256;
  const bin = (v: number) => Math.min(B - 1, Math.max(0, Math.floor(((v - lo) / (hi - lo)) * B)));
  const hist = new Float64Array(B);
  for (const v of sample) hist[bin(v)]++;
  let sumAll = 0;
  for (let b = 0; b < B; b++) sumAll += b * hist[b]!;
  let w0 = 0;
  let sum0 = 0;
  let best = 0;
  let bestVar = -1;
  for (let b = 0; b < B - 1; b++) {
    w0 += hist[b]!;
    sum0 += b * hist[b]!;
    const w1 = sample.length - w0;
    if (w0 === 0 || w1 === 0) continue;
    const m0 = sum0 / w0;
    const m1 = (sumAll - sum0) / w1;
    const between = w0 * w1 * (m0 - m1) ** 2;
    if (between > bestVar) {
      bestVar = between;
      best = b;
    }
  }
  const otsu = lo + ((best + 1) / B) * (hi - lo);
  // Background level: the most populated bin below Otsu's threshold, the mean of its values.
  let modeBin = 0;
  for (let b = 1; b <= best; b++) if (hist[b]! > hist[modeBin]!) modeBin = b;
  let ms = 0,
    mc = 0;
  for (const v of sample)
    if (bin(v) === modeBin) {
      ms += v;
      mc++;
    }
  const level = mc > 0 ? ms / mc : lo;
  let ss = 0,
    sc = 0;
  for (const v of sample) {
    if (v > level) break;
    ss += (v - level) ** 2;
    sc++;
  }
  const noise = sc > 0 ? Math.sqrt(ss / sc) : 0;
  return { threshold: Math.min(otsu, level + 3 * noise), hi };
}

/** The split settings the confound check shares with the ranking (defaults as rankFeatureMaps). */
export interface DesignSplitOptions {
  evaluation?: RankEvaluation;
  folds?: number;
  cvRepeats?: number;
  testFraction?: number;
  testRows?: ArrayLike<number>;
  seed?: number;
  threads?: number;
}

export interface ConfoundResult {
  metric: 'auc' | 'accuracy';
  /** The nuisance forest's held-out score (mean over fits, as RankResult.baselineScore). */
  score: number;
  /** (score - chance) / (1 - chance). */
  skill: number;
  /** The maps' score it is compared with, when known. */
  mapScore: number | null;
  /** Per statistic: marginal Brier importance in the nuisance forest and univariate AUC (macro one-vs-rest for several classes). */
  statistics: { name: string; importance: number; univariateAuc: number }[];
  /** The statistics the warning names (largest importances: at least half the top one's, at most 3). */
  named: string[];
  /** Whether the warning fired. */
  confounded: boolean;
}

export interface DesignInput {
  /** Labels of the analysed cases (single-label). */
  labels?: ArrayLike<number>;
  /** Group of each case; absent when the source does not know them. */
  groups?: ArrayLike<string> | null;
  /** Nuisance statistics of the cases (nuisanceStatistics); null skips the confound check. */
  nuisance?: NuisanceStats | null;
  /** The ranking's split (RankResult.split), when there is one. */
  split?: SplitInfo | null;
  /** The maps' score on the same split (RankResult.baselineScore) and its metric. */
  mapScore?: number | null;
  metric?: 'auc' | 'accuracy';
  /** The split the confound check uses: pass the ranking's options to get its folds. */
  splitOptions?: DesignSplitOptions;
  /** Cases per class that are evaluated (RankResult.nEvalPerClass); default: the label counts. */
  casesPerClass?: number[];
  /** Add the few-cases-per-class warning (false where the caller already warns). Default true. */
  classWarning?: boolean;
  /** Class names by class value, for the messages. */
  classNames?: string[];
  /** Trees of the nuisance forest. Default 50. */
  trees?: number;
}

/** The study-design diagnostics (`design` in rank.json and explain/map-<k>.json). */
export interface DesignReport {
  /** What the reader must know about the study design before trusting the results. */
  warnings: string[];
  nCases: number;
  /** Whether the source knows the cases' groups. */
  groupsKnown: boolean;
  /** Distinct groups (the number of cases when groups are unknown). */
  nGroups: number;
  /** Cases in the largest group. */
  largestGroup: number;
  /** Sorted class values and the cases per class. */
  classes: number[];
  casesPerClass: number[];
  split: SplitInfo | null;
  /** Nuisance statistics used, the per-channel foreground thresholds and the channels whose intensity left out ground-truth regions; null without them. */
  nuisance: { names: string[]; thresholds: number[]; maskedChannels: string[] } | null;
  confound: ConfoundResult | null;
  /** Why a check could not run (e.g. the confound check on one class). */
  notes: string[];
}

const fmt = (v: number, d = 3): string => (Number.isFinite(v) ? v.toFixed(d) : String(v));

/** Runs every study-design check (see the header) and returns the numbers and the warnings. */
export async function studyDesign(input: DesignInput): Promise<DesignReport> {
  const warnings: string[] = [];
  const notes: string[] = [];
  const labels = input.labels;
  const nCases =
    labels?.length ??
    input.groups?.length ??
    (input.nuisance ? input.nuisance.values.length / Math.max(1, input.nuisance.names.length) : 0);

  // Groups.
  const groupsKnown = !!input.groups && input.groups.length === nCases;
  let nGroups = nCases;
  let largestGroup = nCases > 0 ? 1 : 0;
  if (groupsKnown) {
    const sizes = new Map<string, number>();
    for (let i = 0; i < nCases; i++) sizes.set(input.groups![i]!, (sizes.get(input.groups![i]!) ?? 0) + 1);
    nGroups = sizes.size;
    largestGroup = Math.max(...sizes.values());
    if (nGroups === 1)
      warnings.push(
        `all ${nCases} cases come from 1 subject (${[...sizes.keys()][0]}): results describe this subject, not a population; its cases are correlated.`,
      );
    else if (nGroups < FEW_GROUPS)
      warnings.push(
        `the ${nCases} cases come from only ${nGroups} subjects (groups): results describe these subjects, not a population; cases of one subject are correlated.`,
      );
  }

  // The split.
  const split = input.split ?? null;
  if (split && split.groupsOnBothSides > 0) {
    warnings.push(
      `the split puts ${split.groupsOnBothSides} of ${split.nGroups} subjects (groups) on both sides (training and evaluation cases)${split.note ? ` (${split.note})` : ''}: ` +
        'held-out scores are optimistic, since cases of one subject are nearly the same case.',
    );
  }

  // Cases per class.
  const classes = labels ? [...new Set(Array.from(labels))].sort((a, b) => a - b) : [];
  const casesPerClass =
    input.casesPerClass ??
    classes.map((c) => {
      let m = 0;
      for (let i = 0; i < labels!.length; i++) if (labels![i] === c) m++;
      return m;
    });
  const className = (c: number) => (input.classNames?.[c] !== undefined ? `${input.classNames[c]} (${c})` : String(c));
  if (input.classWarning ?? true) {
    casesPerClass.forEach((m, k) => {
      if (m < FEW_CASES)
        warnings.push(`only ${m} case(s) of class ${className(classes[k] ?? k)}: estimates for this class rest on few cases.`);
    });
  }

  // Confound check.
  let confound: ConfoundResult | null = null;
  const nu = input.nuisance ?? null;
  if (nu && labels && classes.length >= 2) {
    const F = nu.names.length;
    const varies = nu.names.map((_, j) => {
      let lo = Infinity,
        hi = -Infinity;
      for (let i = 0; i < nCases; i++) {
        const v = nu.values[i * F + j]!;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      return hi > lo;
    });
    if (!varies.some(Boolean)) notes.push('confound check skipped: every nuisance statistic is constant');
    else {
      const so = input.splitOptions ?? {};
      try {
        const r = await rankFeatureMaps(
          {
            data: Float32Array.from(nu.values),
            rows: nCases,
            cols: F,
            groupOf: Int32Array.from({ length: F }, (_, j) => j),
            groupNames: [...nu.names],
          },
          labels,
          {
            evaluation: so.evaluation,
            folds: so.folds,
            cvRepeats: so.cvRepeats,
            testFraction: so.testFraction,
            testRows: so.testRows,
            seed: so.seed,
            caseGroups: groupsKnown ? input.groups! : undefined,
            metric: input.metric ?? 'auto',
            forest: { nTrees: input.trees ?? 50 },
            repeats: 5,
            conditional: false,
            stabilityBootstraps: 0,
            nullPermutations: 0,
            marginalNull: 0,
            ...(so.threads !== undefined ? { threads: so.threads } : {}),
          },
        );
        const chance =
          r.metric === 'auc'
            ? 0.5
            : Math.max(...casesPerClass) /
              Math.max(
                1,
                casesPerClass.reduce((a, b) => a + b, 0),
              );
        const skill = (r.baselineScore - chance) / (1 - chance);
        const mapScore = input.mapScore ?? null;
        const statistics = r.groups.map((g) => ({ name: g.name, importance: g.marginal.mean, univariateAuc: g.univariateAuc }));
        const order = [...statistics].sort((a, b) => b.importance - a.importance);
        const top = order[0]!.importance;
        const named = order
          .filter((s) => s.importance > 0 && s.importance >= 0.5 * top)
          .slice(0, 3)
          .map((s) => s.name);
        const asWell =
          mapScore !== null && Number.isFinite(mapScore) && r.baselineScore >= mapScore - CONFOUND_GAP && skill >= CONFOUND_MIN_SKILL;
        const confounded = named.length > 0 && (skill >= CONFOUND_SKILL || asWell);
        confound = { metric: r.metric, score: r.baselineScore, skill, mapScore, statistics, named, confounded };
        if (confounded) {
          const what = named.join(', ');
          // An intensity statistic of a channel without a mask also moves with a finding visible there.
          const unmasked = named.filter(
            (s) => s.startsWith('median intensity ') && !nu.maskedChannels.includes(s.slice('median intensity '.length)),
          );
          warnings.push(
            `the label is confounded with ${what}: these statistics alone predict it with ${r.metric.toUpperCase()} ${fmt(r.baselineScore)}` +
              `${mapScore !== null ? ` (the maps: ${fmt(mapScore)})` : ''}; the maps may encode ${what} rather than the label` +
              (unmasked.length === named.length
                ? ' (unless the finding itself is large enough to move the median intensity: no mask leaves it out)'
                : '') +
              '.',
          );
        }
      } catch (err) {
        notes.push(`confound check could not run: ${(err as Error).message}`);
      }
    }
  } else if (nu && labels) notes.push('confound check skipped: the labels have one class');

  return {
    warnings,
    nCases,
    groupsKnown,
    nGroups,
    largestGroup,
    classes,
    casesPerClass,
    split,
    nuisance: nu ? { names: [...nu.names], thresholds: [...nu.thresholds], maskedChannels: [...nu.maskedChannels] } : null,
    confound,
    notes,
  };
}

/** The console lines of a design report: the numbers in one line, then each warning. */
export function designSummary(d: DesignReport): string[] {
  const parts = [
    `${d.nCases} cases`,
    d.groupsKnown ? `${d.nGroups} subject(s)/group(s), largest ${d.largestGroup}` : 'groups unknown (each case its own)',
  ];
  if (d.split)
    parts.push(
      d.split.groupAware
        ? 'group-aware split'
        : d.split.groupsGiven
          ? `split not group-aware (${d.split.groupsOnBothSides} group(s) on both sides)`
          : 'case-level split',
    );
  if (d.confound)
    parts.push(
      `nuisance statistics predict the label with ${d.confound.metric.toUpperCase()} ${fmt(d.confound.score)}${d.confound.mapScore !== null ? ` (maps ${fmt(d.confound.mapScore)})` : ''}`,
    );
  return [
    `study design: ${parts.join('; ')}.`,
    ...d.warnings.map((w) => `  design warning: ${w}`),
    ...d.notes.map((w) => `  design note: ${w}`),
  ];
}

// The maps' rows of rank.json and their order: both verdicts, the descriptive metric drops, impurity,
// PIMP, stability and the univariate AUC baseline side by side.

import { mean, std } from '../../core/stats.js';
import { univariateAucs } from './map-stats.js';
import type { FitEvaluation } from './rank-fits.js';
import type { PimpVerdicts } from './rank-refits.js';
import type { RankClasses, RankSettings } from './rank-settings.js';
import type { StageClock } from './rank-timings.js';
import type { StabilityResult } from './stability.js';
import type { Table } from '../../core/table.js';
import type { GroupRank, ImportanceTest } from './types.js';

/** Each map's univariate AUC on all rows, the baseline a forest's verdicts are read against. */
export function univariateBaseline(features: Table, s: RankSettings, c: RankClasses, clock: StageClock): Float64Array {
  const t0 = performance.now();
  const uni = univariateAucs(features, c.yIdx, c.K);
  s.progress?.({ stage: 'univariate', done: 1, total: 1 });
  clock('univariate', t0);
  return uni;
}

/** What each map's row is made of, computed by the earlier stages. */
export interface MapVerdicts {
  marginal: ImportanceTest[];
  conditional: ImportanceTest[] | null;
  pimp: PimpVerdicts | null;
  stability: StabilityResult | null;
  univariate: Float64Array;
}

/** The maps in their original order, with `rank` set from rankGroups. */
export function rankedGroups(
  features: Table,
  s: RankSettings,
  c: RankClasses,
  ev: FitEvaluation,
  v: MapVerdicts,
): { groups: GroupRank[]; ranking: number[] } {
  const { repeats, fdr } = s;
  const { pimp, stability: stab, univariate: uni } = v;
  const groups: GroupRank[] = [];
  for (let g = 0; g < s.G; g++) {
    const values: number[] = [];
    for (const dr of ev.drops) for (let r = 0; r < repeats; r++) values.push(dr.marginal[g * repeats + r]);
    groups.push({
      index: g,
      name: features.groupNames[g],
      nColumns: s.nCols[g],
      rank: 0,
      marginal: v.marginal[g],
      conditional: v.conditional ? v.conditional[g] : null,
      metricDrop: { mean: mean(values), std: std(values), values },
      impurity: ev.impurity[g],
      pimp:
        pimp === null
          ? null
          : {
              statistic: pimp.observed[g],
              nullMean: pimp.nullMean[g],
              nullStd: pimp.nullSd[g],
              pValue: pimp.pValues[g],
              qValue: pimp.qValues[g],
              significant: pimp.qValues[g] <= fdr,
            },
      stability: stab === null ? null : { top1: stab.top1[g], topK: stab.topKFraction[g], meanRank: stab.meanRank[g] },
      univariateAuc: uni[g],
      direction:
        c.K === 2 && Number.isFinite(uni[g]) && uni[g] !== 0.5
          ? uni[g] > 0.5
            ? 'higher in positive class'
            : 'lower in positive class'
          : null,
    });
  }
  const ranking = rankGroups(groups);
  ranking.forEach((g, i) => (groups[g].rank = i + 1));
  return { groups, ranking };
}

/**
 * The map order of rank.json: marginal mean (descending), then conditional mean, then
 * |univariateAuc - 0.5| (NaN counts as 0), then index.
 */
export function rankGroups(groups: Pick<GroupRank, 'index' | 'marginal' | 'conditional' | 'univariateAuc'>[]): number[] {
  const strength = (a: number): number => (Number.isFinite(a) ? Math.abs(a - 0.5) : 0);
  return [...groups]
    .sort(
      (a, b) =>
        b.marginal.mean - a.marginal.mean ||
        (b.conditional?.mean ?? 0) - (a.conditional?.mean ?? 0) ||
        strength(b.univariateAuc) - strength(a.univariateAuc) ||
        a.index - b.index,
    )
    .map((g) => g.index);
}

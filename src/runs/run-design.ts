// The study-design diagnostics (explain/design.ts) of the cases an analysis command loaded: groups,
// split, cases per class, and the confound check on nuisance statistics computed from the same pixels
// the model sees. `latentlens rank` and `latentlens explain` attach the result as `design`.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nuisanceStatistics, studyDesign, type DesignReport, type DesignSplitOptions, type NuisanceStats } from '../explain/design.js';
import type { RankResult } from '../explain/importance/types.js';
import type { CaseDataset } from '../data/types.js';
import type { RunData } from './run-data.js';

/** Nuisance statistics of the loaded cases (foreground area and median intensity outside the ground-truth masks per channel, slice index where known). */
export function runNuisance(rd: RunData<CaseDataset>): NuisanceStats {
  // The statistics are per channel over a case's pixels; a volume's D x H x W voxels are read as one
  // (D·H) x W plane, so its foreground area is its foreground volume in voxels.
  const [n, c, ...sides] = rd.data.shape;
  const shape: [number, number, number, number] =
    sides.length === 3 ? [n, c, sides[0]! * sides[1]!, sides[2]!] : [n, c, sides[0]!, sides[1]!];
  return nuisanceStatistics(rd.data.images, shape, rd.data.channelNames, {
    rows: rd.indices,
    sliceIndex: rd.sliceIndex ?? null,
    exclude: rd.data.masks ?? [],
  });
}

export interface RunDesignOptions {
  /** The labels analysed (e.g. a --target's), one per loaded case. Default: the data's single-label labels. */
  labels?: ArrayLike<number>;
  /** Class names of `labels`. Default: the data's. */
  classNames?: string[];
  /** The ranking of these cases: its split, maps' score and evaluated cases per class are used. */
  rank?: RankResult;
  /** Run folder whose rank.json gives the maps' score when `rank` is absent (if it ranked as many cases, for the same target). */
  dir?: string;
  /** The target expression analysed, compared with rank.json's. */
  target?: string;
  /** The split settings of the ranking (so the confound check uses the same folds). */
  splitOptions?: DesignSplitOptions;
  nuisance?: NuisanceStats;
}

/** studyDesign on the loaded cases. */
export async function runDesign(rd: RunData<CaseDataset>, o: RunDesignOptions = {}): Promise<DesignReport> {
  let rank: Pick<RankResult, 'baselineScore' | 'metric'> | null = o.rank ?? null;
  if (!rank && o.dir) {
    const p = join(o.dir, 'rank.json');
    if (existsSync(p)) {
      try {
        const r = JSON.parse(readFileSync(p, 'utf8')) as Partial<RankResult> & { target?: { expression?: string } };
        const sameTarget = (r.target?.expression ?? 'label') === (o.target ?? 'label');
        if (
          sameTarget &&
          r.nRows === rd.indices.length &&
          typeof r.baselineScore === 'number' &&
          (r.metric === 'auc' || r.metric === 'accuracy')
        )
          rank = { baselineScore: r.baselineScore, metric: r.metric };
      } catch {
        // An unreadable rank.json only costs the comparison with the maps' score.
      }
    }
  }
  const labels = o.labels ?? rd.labels;
  return studyDesign({
    labels,
    groups: rd.groups ?? null,
    nuisance: labels ? (o.nuisance ?? runNuisance(rd)) : null,
    split: o.rank?.split ?? null,
    mapScore: rank?.baselineScore ?? null,
    ...(rank ? { metric: rank.metric } : {}),
    splitOptions: o.splitOptions,
    ...(o.rank ? { casesPerClass: o.rank.nEvalPerClass, classWarning: false } : {}),
    classNames: o.classNames ?? (o.labels ? undefined : rd.data.classNames),
  });
}

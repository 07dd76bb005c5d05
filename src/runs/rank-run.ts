// rankRun: which latent maps of a run predict the target — per-case held-out Brier importance, marginal
// and conditional on the other maps, with intervals, p-values and FDR, rank stability, and the study
// design's diagnostics. Writes rank.json (one envelope, run-file.ts) and figures/rank-*.svg.
// Data-parallel (options.share): every rank loads the run and the data and ranks with the refits split
// over the ranks; rank 0 alone, holding the single-process result, writes and logs.
import { join } from 'node:path';
import {
  conditionalMeaning,
  MARGINAL_MEANING,
  rankFeatureMaps,
  type GroupRank,
  type ImportanceTest,
  type RankEvaluation,
  type RankResult,
} from '../explain/importance/index.js';
import { aucWithDirection, chartLabel, formatQ } from '../explain/importance/meaning.js';
import { encodeLatents } from '../models/encode.js';
import { parsePooling, poolLatents, POOLINGS, type Pooling } from '../models/pool-latents.js';
import { designSummary, type DesignReport } from '../explain/design.js';
import { resolveTarget, targetRecord, type TargetRecord } from '../data/target.js';
import { allZero, intervalChart, svgFile } from '../util/charts.js';
import { mkdirInRun, writeRunFile } from '../util/run-paths.js';
import { loadRunData, type SplitChoice } from './run-data.js';
import { runDesign } from './run-design.js';
import { healthSummary } from './run-health.js';
import { writeRunEnvelope, type RunFileEnvelope, type RunInputs } from './run-file.js';
import { logOf, type RunLog } from './run-log.js';
import { defined } from './run-options.js';
import type { RefitShare } from '../explain/importance/refit-share.js';

export interface RankRunOptions {
  /** Data spec; default the run's. */
  data?: string;
  split?: SplitChoice;
  /** 'summary' (mean, max, std per map), 'mean' (one column per map) or 'grid' (every cell). */
  pooling?: Pooling;
  trees?: number;
  evaluation?: RankEvaluation;
  folds?: number;
  cvRepeats?: number;
  /** The conditional test, or false to skip it. */
  conditional?: false | 'loco' | 'cpi';
  /** Null sizes; 'auto': 19, or enough for exact p-values at small n (exactNull). */
  conditionalNull?: number | 'auto';
  marginalNull?: number | 'auto';
  /** Rank p-values over the nulls (RankOptions.exactNull); 'auto': when the smallest class has under 50 evaluated cases. */
  exactNull?: boolean | 'auto';
  nullPermutations?: number;
  bootstraps?: number;
  repeats?: number;
  fdr?: number;
  seed?: number;
  maxCases?: number;
  /** Target expression (src/data/target.ts); default the labels as they are. */
  target?: string;
  /** Forest worker threads (default: the core count). The results do not depend on it. */
  threads?: number;
  /**
   * Data-parallel ranks to split the refits over (RankOptions.share; processGroupShare for c10d). Rank 0
   * writes rank.json and the figures and logs; the other ranks write nothing and return null.
   */
  share?: RefitShare;
}

/** How the ranking ran, not what it asked: rank.json does not record these. */
type Execution = 'threads' | 'share';

/** The settings rank.json records: the options with their defaults filled in. */
export type RankSettings = Required<Omit<RankRunOptions, 'data' | 'split' | 'maxCases' | 'target' | Execution>> & {
  maxCases: number | null;
};

export interface RankRunOutput {
  file: RankFile;
  path: string;
  figures: string[];
}

export const RANK_DEFAULTS: RankSettings = {
  pooling: 'summary',
  trees: 100,
  evaluation: 'cv',
  folds: 5,
  cvRepeats: 1,
  conditional: 'loco',
  conditionalNull: 'auto',
  marginalNull: 'auto',
  exactNull: 'auto',
  nullPermutations: 0,
  bootstraps: 30,
  repeats: 10,
  fdr: 0.05,
  seed: 0,
  maxCases: null,
};

/** A forest reads any of them: summaries, means or every cell per map. */
export const RANK_POOLINGS: readonly Pooling[] = POOLINGS;

export type RankInputs = RunInputs & { latentShape: number[] };
export type RankFileResult = RankResult & { design: DesignReport };
export type RankFile = RunFileEnvelope<RankFileResult, RankInputs, RankSettings>;

export async function rankRun(dir: string, options?: RankRunOptions & { share?: undefined }, out?: RunLog): Promise<RankRunOutput>;
export async function rankRun(dir: string, options: RankRunOptions, out?: RunLog): Promise<RankRunOutput | null>;
export async function rankRun(dir: string, options: RankRunOptions = {}, out: RunLog = {}): Promise<RankRunOutput | null> {
  const writer = !options.share || options.share.rank === 0;
  const log = writer ? logOf(out) : () => {};
  const { data: _data, split: _split, target: _target, threads, share, ...rest } = options;
  const s: RankSettings = { ...RANK_DEFAULTS, ...defined(rest), maxCases: options.maxCases ?? null };
  parsePooling(s.pooling, RANK_POOLINGS);
  const split = options.split ?? 'all';
  const rd = await loadRunData(dir, { data: options.data, split, maxCases: options.maxCases, volumes: true, command: 'rank', log }); // maps of volumes are pooled over d x h x w
  try {
    if (!rd.labels && options.target === undefined)
      throw new Error('rank: the data has no single-label labels to predict (a column of the data: --target <column>)');
    const target = resolveTarget(options.target, rd.data, rd.indices);
    const enc = encodeLatents(rd.run.model, rd.x);
    const features = poolLatents(enc, s.pooling);
    const t0 = performance.now();
    const result = await rankFeatureMaps(features, target.labels, {
      forest: { nTrees: s.trees },
      evaluation: s.evaluation,
      folds: s.folds,
      cvRepeats: s.cvRepeats,
      conditional: s.conditional !== false,
      conditionalMethod: s.conditional === false ? undefined : s.conditional,
      ...(s.conditionalNull !== 'auto' ? { conditionalNull: s.conditionalNull } : {}),
      ...(s.marginalNull !== 'auto' ? { marginalNull: s.marginalNull } : {}),
      exactNull: s.exactNull,
      nullPermutations: s.nullPermutations,
      stabilityBootstraps: s.bootstraps,
      repeats: s.repeats,
      fdr: s.fdr,
      seed: s.seed,
      caseGroups: rd.groups,
      caseOrder: rd.sliceIndex,
      ...(threads !== undefined ? { threads } : {}),
      ...(share ? { share } : {}),
      onProgress: (p) => writer && out.progress?.update(p.stage, p.done, p.total),
    });
    if (!writer) return null;
    out.progress?.end();
    // Study design (groups, split, confound check on nuisance statistics with the same folds).
    const design = await runDesign(rd, {
      labels: target.labels,
      classNames: target.classNames,
      rank: result,
      splitOptions: { evaluation: s.evaluation, folds: s.folds, cvRepeats: s.cvRepeats, seed: s.seed },
    });
    const tr = targetRecord(target);
    const { envelope, path } = writeRunEnvelope(dir, 'rank.json', 'rank', {
      inputs: {
        run: dir,
        data: rd.dataSpec,
        split,
        cases: rd.indices.length,
        target: tr,
        health: healthSummary(rd.health),
        latentShape: enc.shape.slice(1),
      },
      settings: s,
      result: { ...result, design },
    });
    const figures = await writeRankFigures(result, dir);
    log(
      `ranked ${features.groupNames.length} maps on ${rd.indices.length} cases in ${((performance.now() - t0) / 1000).toFixed(1)} s -> ${join(dir, 'rank.json')} (figures: ${figures.join(', ')})`,
    );
    for (const line of rankSummary(result, tr)) log(line);
    for (const line of designSummary(design)) log(line);
    return { file: envelope, path, figures };
  } finally {
    rd.x.dispose();
    rd.run.model.dispose();
  }
}

const verdict = (t: ImportanceTest | null, digits = 4): string =>
  t === null
    ? '—'
    : `${t.mean.toFixed(digits)} [${t.ciLow.toFixed(digits)}, ${t.ciHigh.toFixed(digits)}] q ${formatQ(t.qValue)}${t.significant ? ' *' : '  '}`;

/** The console summary of a ranking: the top maps with both verdicts, what they mean, and the warnings. */
export function rankSummary(r: RankResult, target?: TargetRecord, top = 5): string[] {
  const s = r.settings;
  const where =
    r.evaluation === 'cv'
      ? `${s.folds}-fold CV${(s.cvRepeats ?? 1) > 1 ? ` x ${s.cvRepeats}` : ''}`
      : r.evaluation === 'holdout'
        ? 'held-out cases'
        : 'out-of-bag cases';
  const lines = [
    ...(target ? [`target: ${target.description}`] : []),
    `Brier importance on ${r.nEval} cases (${where}); unreplaced Brier ${r.baselineBrier.toFixed(4)}, ${r.metric.toUpperCase()} ${r.baselineScore.toFixed(3)}. * = BH q <= ${s.fdr} and ${Math.round(100 * s.confidence)}% interval above 0.`,
    `  ${MARGINAL_MEANING}`,
    ...(s.conditional ? [`  ${conditionalMeaning(s.conditionalMethod)}`] : []),
    ...((s.marginalNull ?? 0) > 0
      ? [
          `  marginal p-values: the mean against its value on ${s.marginalNull} label ${s.marginalNullPermutation === 'within-group shifts' ? "shifts along each subject's slices" : s.marginalNullPermutation === 'groups' ? 'permutations across subjects' : 'shuffles'} (the same evaluation re-run), so the bias of replacing correlated maps cancels${s.exactNull ? '; p = (null means reaching it + 1) / (draws + 1)' : ''}.`,
        ]
      : []),
    ...((s.conditionalNull ?? 0) > 0
      ? [
          s.conditionalNullKind === 'within-group shifts'
            ? `  conditional p-values: the mean against the same refits on ${s.conditionalNull} label shifts along each subject's slices (subjects sit on both sides of the split: recognising a neighbouring slice predicts its label, which refit noise alone does not show).`
            : s.conditionalNullKind === 'label permutations'
              ? `  conditional p-values: the mean against the same refits re-made on ${s.conditionalNull} label shuffles, every map's null mean in one pool (${(s.conditionalNull ?? 0) * r.groups.length} draws; at this size refit noise alone was measured to be too narrow); p = (draws reaching it + 1) / (draws + 1).`
              : `  conditional p-values: the mean against forests refitted with all maps and ${s.conditionalNull} other seeds per fit (how much two forests of the same information differ)${s.exactNull ? '; p = (refits reaching it + 1) / (refits + 1)' : ''}.`,
        ]
      : []),
    `  rank map: marginal mean [CI] q | conditional mean [CI] q | ${r.metric.toUpperCase()} drop | univariate AUC`,
  ];
  for (const m of r.ranking.slice(0, top)) {
    const g = r.groups[m]!;
    lines.push(
      `  ${g.rank}. ${g.name}: ${verdict(g.marginal)} | ${verdict(g.conditional)} | ${g.metricDrop.mean.toFixed(4)} | ${aucWithDirection(g.univariateAuc, g.direction, target?.positive, r.classes.length)}`,
    );
  }
  const nm = r.groups.filter((g) => g.marginal.significant).length;
  const nc = r.groups.filter((g) => g.conditional?.significant).length;
  lines.push(`  significant: ${nm} of ${r.groups.length} maps marginally${r.settings.conditional ? `, ${nc} conditionally` : ''}.`);
  for (const w of r.warnings) lines.push(`  warning: ${w}`);
  return lines;
}
/** figures/rank-importance.svg, rank-pvalues.svg and rank-stability.svg (charts as the report draws them). */
async function writeRankFigures(r: RankResult, dir: string): Promise<string[]> {
  const figDir = mkdirInRun(dir, 'figures');
  const ordered = r.ranking.map((m) => r.groups[m]!);
  const conf = Math.round(r.settings.confidence * 100);
  const rows = (g: GroupRank) => {
    const label = chartLabel(g.name, g.marginal, g.conditional);
    return [
      { label, value: g.marginal.mean, lo: g.marginal.ciLow, hi: g.marginal.ciHigh, group: 'marginal' },
      ...(g.conditional
        ? [{ label, value: g.conditional.mean, lo: g.conditional.ciLow, hi: g.conditional.ciHigh, group: 'conditional' }]
        : []),
    ];
  };
  const importance = ordered.flatMap(rows);
  const charts: [string, Promise<string>][] = [
    [
      'rank-importance.svg',
      intervalChart(importance, {
        title: allZero(importance)
          ? "Every map's Brier importance is exactly 0: replacing a map never changed a held-out prediction"
          : `Rise in held-out Brier score when the map is replaced, ${conf}% intervals (M* / C*: significant at FDR ${r.settings.fdr})`,
        valueTitle: 'Brier importance',
        labelTitle: 'map',
        groupTitle: 'test',
        rule: 0,
      }),
    ],
  ];
  // p-values of the verdicts: bar -log10 p, whisker to -log10 q; the dashed rule is the FDR level.
  const logp = (p: number) => -Math.log10(Math.max(p, 1e-300));
  charts.push([
    'rank-pvalues.svg',
    intervalChart(
      ordered.flatMap((g) => [
        { label: g.name, value: logp(g.marginal.pValue), lo: logp(g.marginal.pValue), hi: logp(g.marginal.qValue), group: 'marginal' },
        ...(g.conditional
          ? [
              {
                label: g.name,
                value: logp(g.conditional.pValue),
                lo: logp(g.conditional.pValue),
                hi: logp(g.conditional.qValue),
                group: 'conditional',
              },
            ]
          : []),
      ]),
      {
        title:
          (r.settings.marginalNull ?? 0) > 0
            ? `p-values: marginal against its label-shuffle null, conditional ${(r.settings.conditionalNull ?? 0) > 0 ? (r.settings.conditionalNullKind === 'refits' ? 'against refits with other seeds' : 'against LOCO on shuffled labels') : 'per-case t-test'} (bar: -log10 p; whisker to -log10 q)`
            : 'Per-case t-test p-values (bar: -log10 p; whisker to -log10 q)',
        valueTitle: '-log10 p',
        labelTitle: 'map',
        groupTitle: 'test',
        rule: -Math.log10(r.settings.fdr),
      },
    ),
  ]);
  if (ordered[0]?.stability) {
    charts.push([
      'rank-stability.svg',
      intervalChart(
        ordered.flatMap((g) => [
          { label: g.name, value: g.stability!.top1, lo: g.stability!.top1, hi: g.stability!.top1, group: 'top-1' },
          { label: g.name, value: g.stability!.topK, lo: g.stability!.topK, hi: g.stability!.topK, group: `top-${r.settings.topK}` },
        ]),
        {
          title: `Rank stability over ${r.settings.stabilityBootstraps} bootstrap refits`,
          valueTitle: 'fraction of refits',
          labelTitle: 'map',
          groupTitle: 'rank',
        },
      ),
    ]);
  }
  const written: string[] = [];
  for (const [name, svg] of charts) {
    writeRunFile(dir, join(figDir, name), svgFile(await svg));
    written.push(join('figures', name));
  }
  return written;
}

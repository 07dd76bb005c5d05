// `latentlens rank <run>`: which latent maps predict the label — per-case held-out Brier importance,
// marginal and conditional on the other maps, with intervals, t-test p-values and FDR; rank stability.
// Writes rank.json into the run folder.
import { join } from 'node:path';
import type { Command } from 'commander';
import { conditionalMeaning, MARGINAL_MEANING, rankFeatureMaps, type GroupRank, type ImportanceTest, type RankEvaluation, type RankResult } from '../explain/importance/index.js';
import { allZero, intervalChart, svgFile } from '../report/charts.js';
import { chartLabel } from '../report/sections/ranking.js';
import { encodeLatents, latentFeatures, type Pooling } from '../explain/latent-features.js';
import { aucWithDirection } from '../explain/importance/meaning.js';
import { resolveTarget, targetRecord, type TargetRecord } from '../data/target.js';
import { mkdirInRun, writeRunFile } from '../util/run-paths.js';
import { loadRunData } from '../runs/run-data.js';
import { runDesign } from '../runs/run-design.js';
import { designSummary } from '../explain/design.js';
import { StageProgress } from '../util/progress.js';
import { levelFlag, positiveIntFlag as atLeast, wholeNumberFlag as whole } from './flags.js';

interface RankFlags {
  data?: string; split: 'train' | 'val' | 'test' | 'all'; pooling: Pooling; trees: number; evaluation: RankEvaluation; folds: number; cvRepeats: number;
  conditional: boolean | 'loco' | 'cpi'; conditionalNull: number; marginalNull: number; nullPermutations: number; bootstraps: number; repeats: number; fdr: number; seed: number; maxCases?: number; target?: string;
}

export function registerRank(program: Command): void {
  program
    .command('rank <run>')
    .description('rank latent maps by how much a forest\'s held-out Brier score worsens without them (marginal, and conditional on the other maps), with t-intervals, p-values and FDR, and stability; writes rank.json')
    .option('--data <spec>', 'data to rank on (default: the spec the run was trained on)')
    .option('--split <name>', 'train, val, test or all', 'all')
    .option('--pooling <kind>', "features per map: 'summary' (mean, max, std) or 'grid' (all h x w values)", 'summary')
    .option('--trees <n>', 'trees per forest', atLeast('--trees'), 100)
    .option('--evaluation <kind>', "where importance is measured: 'cv' (stratified K-fold), 'holdout' (25%) or 'oob'", 'cv')
    .option('--folds <n>', 'folds of --evaluation cv', atLeast('--folds', 2), 5)
    .option('--cv-repeats <n>', 'repeats of the K-fold split', atLeast('--cv-repeats'), 1)
    .option('--conditional <method>', "the conditional test (map given the other maps): 'loco' (refit without the map, against refits with other seeds) or 'cpi' (linear conditional draws, paired t-test; cheaper, errs towards the marginal answer)", conditionalMethod, 'loco')
    .option('--no-conditional', 'skip the conditional test')
    .option('--conditional-null <n>', 'LOCO: forests refitted with every map and other seeds per fit, the conditional verdict\'s null', atLeast('--conditional-null', 5), 19)
    .option('--marginal-null <n>', 'label permutations of the marginal verdict\'s null: the evaluation re-run on shuffled labels (0: the uncalibrated t-test)', whole('--marginal-null'), 19)
    .option('--null-permutations <n>', 'label permutations of the PIMP null model, for reference only (0 skips it)', whole('--null-permutations'), 0)
    .option('--bootstraps <n>', 'bootstrap refits for rank stability (0 skips)', whole('--bootstraps'), 30)
    .option('--repeats <n>', 'replacement draws per map and case', atLeast('--repeats'), 10)
    .option('--fdr <q>', 'Benjamini-Hochberg FDR level', levelFlag('--fdr'), 0.05)
    .option('--max-cases <n>', 'use at most this many cases', atLeast('--max-cases'))
    .option('--seed <n>', 'seed of every random choice', whole('--seed'), 0)
    .option('--target <expr>', "what the forest predicts: label (as is), label>=2, 'label in 3,4', one-vs-rest:3, ordinal, or a column (src/data/target.ts)")
    .action(async (dir: string, f: RankFlags) => {
      const rd = await loadRunData(dir, { data: f.data, split: f.split, maxCases: f.maxCases, volumes: true, command: 'rank' }); // maps of volumes are pooled over d x h x w
      if (!rd.labels && f.target === undefined) throw new Error('rank: the data has no single-label labels to predict (a column of the data: --target <column>)');
      const target = resolveTarget(f.target, rd.data, rd.indices);
      const enc = encodeLatents(rd.run.model, rd.x);
      const features = latentFeatures(enc.values, enc.shape, f.pooling);
      const t0 = performance.now();
      const progress = new StageProgress(process.stderr);
      const result = await rankFeatureMaps(features, target.labels, {
        forest: { nTrees: f.trees }, evaluation: f.evaluation, folds: f.folds, cvRepeats: f.cvRepeats,
        conditional: f.conditional !== false, conditionalMethod: f.conditional === false ? undefined : f.conditional === true ? 'loco' : f.conditional, conditionalNull: f.conditionalNull,
        marginalNull: f.marginalNull, nullPermutations: f.nullPermutations, stabilityBootstraps: f.bootstraps,
        repeats: f.repeats, fdr: f.fdr, seed: f.seed, caseGroups: rd.groups, caseOrder: rd.sliceIndex,
        onProgress: (p) => progress.update(p.stage, p.done, p.total),
      });
      progress.end();
      // Study design (groups, split, confound check on nuisance statistics with the same folds).
      const design = await runDesign(rd, { labels: target.labels, classNames: target.classNames, rank: result, splitOptions: { evaluation: f.evaluation, folds: f.folds, cvRepeats: f.cvRepeats, seed: f.seed } });
      const out = join(dir, 'rank.json');
      writeRunFile(dir, 'rank.json', JSON.stringify({ ...result, design, target: targetRecord(target), pooling: f.pooling, cases: rd.indices.length, latentShape: enc.shape.slice(1) }, null, 2) + '\n');
      const figures = await writeRankFigures(result, dir);
      console.log(`ranked ${features.groupNames.length} maps on ${rd.indices.length} cases in ${((performance.now() - t0) / 1000).toFixed(1)} s -> ${out} (figures: ${figures.join(', ')})`);
      for (const line of rankSummary({ ...result, target: targetRecord(target) })) console.log(line);
      for (const line of designSummary(design)) console.log(line);
    });
}

function conditionalMethod(v: string): 'loco' | 'cpi' {
  if (v !== 'loco' && v !== 'cpi') throw new Error(`--conditional must be loco or cpi, got '${v}'`);
  return v;
}

/** A q-value as every command prints it. */
export const formatQ = (q: number): string => (q < 1e-3 ? q.toExponential(1) : q.toFixed(3));

const verdict = (t: ImportanceTest | null, digits = 4): string =>
  t === null ? '—' : `${t.mean.toFixed(digits)} [${t.ciLow.toFixed(digits)}, ${t.ciHigh.toFixed(digits)}] q ${formatQ(t.qValue)}${t.significant ? ' *' : '  '}`;

/** The console summary of a ranking: the top maps with both verdicts, what they mean, and the warnings. */
export function rankSummary(r: RankResult & { target?: TargetRecord }, top = 5): string[] {
  const s = r.settings;
  const where = r.evaluation === 'cv' ? `${s.folds}-fold CV${(s.cvRepeats ?? 1) > 1 ? ` x ${s.cvRepeats}` : ''}` : r.evaluation === 'holdout' ? 'held-out cases' : 'out-of-bag cases';
  const lines = [
    ...(r.target ? [`target: ${r.target.description}`] : []),
    `Brier importance on ${r.nEval} cases (${where}); unreplaced Brier ${r.baselineBrier.toFixed(4)}, ${r.metric.toUpperCase()} ${r.baselineScore.toFixed(3)}. * = BH q <= ${s.fdr} and ${Math.round(100 * s.confidence)}% interval above 0.`,
    `  ${MARGINAL_MEANING}`,
    ...(s.conditional ? [`  ${conditionalMeaning(s.conditionalMethod)}`] : []),
    ...((s.marginalNull ?? 0) > 0 ? [`  marginal p-values: the mean against its value on ${s.marginalNull} label ${s.marginalNullPermutation === 'within-group shifts' ? 'shifts along each subject\'s slices' : s.marginalNullPermutation === 'groups' ? 'permutations across subjects' : 'shuffles'} (the same evaluation re-run), so the bias of replacing correlated maps cancels.`] : []),
    ...((s.conditionalNull ?? 0) > 0 ? [s.conditionalNullKind === 'within-group shifts'
      ? `  conditional p-values: the mean against the same refits on ${s.conditionalNull} label shifts along each subject's slices (subjects sit on both sides of the split: recognising a neighbouring slice predicts its label, which refit noise alone does not show).`
      : `  conditional p-values: the mean against forests refitted with all maps and ${s.conditionalNull} other seeds per fit (how much two forests of the same information differ).`] : []),
    `  rank map: marginal mean [CI] q | conditional mean [CI] q | ${r.metric.toUpperCase()} drop | univariate AUC`,
  ];
  for (const m of r.ranking.slice(0, top)) {
    const g = r.groups[m]!;
    lines.push(`  ${g.rank}. ${g.name}: ${verdict(g.marginal)} | ${verdict(g.conditional)} | ${g.metricDrop.mean.toFixed(4)} | ${aucWithDirection(g.univariateAuc, g.direction, r.target?.positive, r.classes.length)}`);
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
      ...(g.conditional ? [{ label, value: g.conditional.mean, lo: g.conditional.ciLow, hi: g.conditional.ciHigh, group: 'conditional' }] : []),
    ];
  };
  const importance = ordered.flatMap(rows);
  const charts: [string, Promise<string>][] = [[
    'rank-importance.svg',
    intervalChart(importance,
      { title: allZero(importance) ? 'Every map\'s Brier importance is exactly 0: replacing a map never changed a held-out prediction'
        : `Rise in held-out Brier score when the map is replaced, ${conf}% intervals (M* / C*: significant at FDR ${r.settings.fdr})`, valueTitle: 'Brier importance', labelTitle: 'map', groupTitle: 'test', rule: 0 }),
  ]];
  // p-values of the verdicts: bar -log10 p, whisker to -log10 q; the dashed rule is the FDR level.
  const logp = (p: number) => -Math.log10(Math.max(p, 1e-300));
  charts.push(['rank-pvalues.svg', intervalChart(ordered.flatMap((g) => [
    { label: g.name, value: logp(g.marginal.pValue), lo: logp(g.marginal.pValue), hi: logp(g.marginal.qValue), group: 'marginal' },
    ...(g.conditional ? [{ label: g.name, value: logp(g.conditional.pValue), lo: logp(g.conditional.pValue), hi: logp(g.conditional.qValue), group: 'conditional' }] : []),
  ]), { title: (r.settings.marginalNull ?? 0) > 0 ? `p-values: marginal against its label-shuffle null, conditional ${(r.settings.conditionalNull ?? 0) > 0 ? 'against refits with other seeds' : 'per-case t-test'} (bar: -log10 p; whisker to -log10 q)` : 'Per-case t-test p-values (bar: -log10 p; whisker to -log10 q)', valueTitle: '-log10 p', labelTitle: 'map', groupTitle: 'test', rule: -Math.log10(r.settings.fdr) })]);
  if (ordered[0]?.stability) {
    charts.push(['rank-stability.svg', intervalChart(ordered.flatMap((g) => [
      { label: g.name, value: g.stability!.top1, lo: g.stability!.top1, hi: g.stability!.top1, group: 'top-1' },
      { label: g.name, value: g.stability!.topK, lo: g.stability!.topK, hi: g.stability!.topK, group: `top-${r.settings.topK}` },
    ]), { title: `Rank stability over ${r.settings.stabilityBootstraps} bootstrap refits`, valueTitle: 'fraction of refits', labelTitle: 'map', groupTitle: 'rank' })]);
  }
  const written: string[] = [];
  for (const [name, svg] of charts) {
    writeRunFile(dir, join(figDir, name), svgFile(await svg));
    written.push(join('figures', name));
  }
  return written;
}

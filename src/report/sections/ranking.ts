// "Map ranking": which latent maps the random forest relies on to predict the label — per-case held-out
// Brier importance, marginal and conditional on the other maps, each with its interval, BH q-value and
// verdict; descriptive AUC/accuracy drop, impurity share, optional PIMP, stability and univariate AUC.
import { aucWithDirection, chartLabel, conditionalMeaning, MARGINAL_MEANING } from '../../explain/importance/meaning.js';
import type { ImportanceTest } from '../../explain/importance/types.js';
import { allZero, intervalChart, type IntervalRow } from '../../util/charts.js';
import { esc, notComputed, num, pct, pval, table, unreadable, type Section } from '../html.js';
import type { RunFiles } from '../run-files.js';
import { designBlock } from './design.js';

/** Mean and interval with enough digits for tiny Brier differences (num switches to exponent form below 1e-4). */
const estimate = (t: ImportanceTest): string => `${num(t.mean, 4)} <span class="ci">[${num(t.ciLow, 4)}, ${num(t.ciHigh, 4)}]</span>`;
const star = (t: ImportanceTest | null | undefined): string => (t ? (t.significant ? '<strong class="yes">yes</strong>' : 'no') : '—');

/** The analysis target of a JSON file (`target` field), or what files written before targets meant. */
export function targetLine(t: { description: string } | undefined): string {
  return t
    ? `<p class="target"><strong>Target:</strong> ${esc(t.description)}</p>`
    : '<p class="target note"><strong>Target:</strong> the labels as they are (not recorded in this file; written before <code>--target</code>: with two classes the positive class is the second).</p>';
}

export async function rankingSection(files: RunFiles): Promise<Section> {
  const id = 'ranking',
    title = 'Map ranking';
  const read = files.rank;
  if (read.status === 'absent') return { id, title, body: notComputed('map ranking (rank.json)', `latentlens rank ${files.dir}`) };
  if (read.status === 'error') return { id, title, body: unreadable('rank.json', read.error) };
  const { result: r, inputs, settings } = read.value;
  const s = r.settings;
  const explained = new Set(files.explains.map((e) => e.map));
  const ordered = r.ranking.map((i) => r.groups[i]!).filter(Boolean);
  const conf = Math.round(100 * s.confidence);
  const hasCond = ordered.some((g) => g.conditional);
  const hasPimp = ordered.some((g) => g.pimp);
  const rows = ordered.map((g) => [
    String(g.rank),
    explained.has(g.index) ? `<a href="#map-${g.index}">${esc(g.name)}</a>` : esc(g.name),
    estimate(g.marginal),
    pval(g.marginal.qValue),
    star(g.marginal),
    ...(hasCond
      ? [g.conditional ? estimate(g.conditional) : '—', g.conditional ? pval(g.conditional.qValue) : '—', star(g.conditional)]
      : []),
    num(g.metricDrop.mean, 4),
    num(g.impurity, 3),
    ...(hasPimp ? [g.pimp ? `${pval(g.pimp.pValue)} / ${pval(g.pimp.qValue)}` : '—'] : []),
    g.stability ? `${pct(g.stability.top1)} / ${pct(g.stability.topK)} / ${num(g.stability.meanRank, 1)}` : '—',
    esc(aucWithDirection(g.univariateAuc, g.direction, inputs.target?.positive, r.classes.length)),
  ]);
  const head = [
    'rank',
    'map',
    `marginal Brier importance [${conf}% CI]`,
    'marginal q',
    `marginal: FDR ≤ ${s.fdr}`,
    ...(hasCond ? [`conditional Brier importance [${conf}% CI]`, 'conditional q', `conditional: FDR ≤ ${s.fdr}`] : []),
    `${r.metric.toUpperCase()} drop (descriptive)`,
    'impurity share',
    ...(hasPimp ? ['PIMP p / q (reference)'] : []),
    `stability: top-1 / top-${s.topK} / mean rank`,
    'univariate AUC (direction)',
  ];
  const chartRows: IntervalRow[] = ordered.flatMap((g) => {
    const label = chartLabel(g.name, g.marginal, g.conditional);
    return [
      { label, value: g.marginal.mean, lo: g.marginal.ciLow, hi: g.marginal.ciHigh, group: 'marginal' },
      ...(g.conditional
        ? [{ label, value: g.conditional.mean, lo: g.conditional.ciLow, hi: g.conditional.ciHigh, group: 'conditional' }]
        : []),
    ];
  });
  // All zero: a chart would be an empty axis that reads as "nothing was computed".
  const chart = allZero(chartRows)
    ? `<p class="note empty-chart"><strong>No importance chart: every map's Brier importance is exactly 0</strong> (${hasCond ? 'marginal and conditional, ' : ''}intervals included). ` +
      `Replacing any one map never changed a held-out prediction of the forest: it predicts the same for every case, or splits on none of the maps' features. Nothing here ranks the maps.</p>`
    : await intervalChart(chartRows, {
        title: `Rise in held-out Brier score when the map is replaced, ${conf}% intervals (M* / C*: significant marginally / conditionally)`,
        valueTitle: 'Brier importance (mean over cases)',
        labelTitle: 'map',
        groupTitle: 'test',
        rule: 0,
      });
  const sigM = ordered.filter((g) => g.marginal.significant);
  const sigC = ordered.filter((g) => g.conditional?.significant);
  const where =
    r.evaluation === 'cv'
      ? `${r.nEval} cases, each predicted by the forest of its own fold (${s.folds}-fold cross-validation${(s.cvRepeats ?? 1) > 1 ? `, ${s.cvRepeats} repeats` : ''}; ${r.nTrain} training cases per forest)`
      : r.evaluation === 'holdout'
        ? `${r.nEval} held-out cases (trained on ${r.nTrain})`
        : `${r.nEval} cases, each predicted by the trees it was out of bag for`;
  const names = (gs: typeof ordered) => (gs.length ? `: ${gs.map((g) => esc(g.name)).join(', ')}` : '');
  const intro =
    `${targetLine(inputs.target)}<p>A random forest (${s.nTrees} trees) predicts the label from the latent features ` +
    `(${esc(settings.pooling)} pooling: ${r.nColumns} columns from ${r.groups.length} maps, latent shape ${esc(inputs.latentShape.join('×'))}) on ${r.nRows} cases. ` +
    `Importance is measured on ${where}: per case, the rise in Brier score when the map is replaced (${s.repeats} draws), then ${(s.marginalNull ?? 0) > 0 ? `for the marginal test the mean against its value on ${s.marginalNull} label shuffles (the whole evaluation re-run, so the bias of replacing correlated maps cancels), ${(s.conditionalNull ?? 0) > 0 ? `for the conditional test (the forest refitted without the map) the mean against ${s.conditionalNullKind === 'within-group shifts' ? `the same refits on ${s.conditionalNull} label shifts along each subject's slices (subjects sit on both sides of the split),` : s.conditionalNullKind === 'label permutations' ? `the same refits re-made on ${s.conditionalNull} label shuffles, all maps' null means pooled,` : `${s.conditionalNull} refits with every map and other seeds,`}` : 'for the conditional test a one-sided t-test over cases,'}` : 'a one-sided t-test over cases'} and Benjamini–Hochberg across maps${s.exactNull ? ' (p-values against label shuffles or refits: the rank of the observed mean among its null draws, (draws reaching it + 1) / (draws + 1))' : ''}. ` +
    `Unreplaced Brier score ${num(r.baselineBrier, 4)}, ${r.metric.toUpperCase()} ${num(r.baselineScore, 3)}, OOB accuracy ${num(r.oobAccuracy, 3)}; seed ${s.seed}.</p>` +
    `<ul><li>${esc(MARGINAL_MEANING)}</li>${hasCond ? `<li>${esc(conditionalMeaning(s.conditionalMethod))}</li>` : ''}</ul>` +
    `<p><strong>${sigM.length} of ${r.groups.length} maps</strong> are significant marginally${names(sigM)}` +
    (hasCond ? `; <strong>${sigC.length}</strong> conditionally${names(sigC)}` : '') +
    ` (BH q ≤ ${s.fdr} and the ${conf}% interval above 0).` +
    (hasPimp
      ? ` PIMP (${s.nullPermutations} label permutations, a marginal null on the OOB statistic) is shown for reference and sets no verdict.`
      : '') +
    '</p>' +
    (r.warnings?.length ? `<ul class="notes">${r.warnings.map((w) => `<li class="no">${esc(w)}</li>`).join('')}</ul>` : '') +
    designBlock(r.design);
  return { id, title, body: `${intro}<div class="charts">${chart}</div>${table(head.map(esc), rows, { cls: 'num' })}` };
}

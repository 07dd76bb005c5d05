// "Map ranking": which latent maps the random forest relies on to predict the label, with intervals,
// PIMP p-values, BH q-values, bootstrap stability and univariate AUC.
import { intervalChart } from '../charts.js';
import { esc, notComputed, num, pct, pval, table, unreadable, type Section } from '../html.js';
import type { RunFiles } from '../run-files.js';

export async function rankingSection(files: RunFiles): Promise<Section> {
  const id = 'ranking', title = 'Map ranking';
  const read = files.rank;
  if (read.status === 'absent') return { id, title, body: notComputed('map ranking (rank.json)', `latentlens rank ${files.dir}`) };
  if (read.status === 'error') return { id, title, body: unreadable('rank.json', read.error) };
  const r = read.value;
  const s = r.settings;
  const explained = new Set(files.explains.map((e) => e.map));
  const ordered = r.ranking.map((i) => r.groups[i]!).filter(Boolean);
  const conf = Math.round(100 * s.confidence);
  const rows = ordered.map((g) => [
    String(g.rank),
    explained.has(g.index) ? `<a href="#map-${g.index}">${esc(g.name)}</a>` : esc(g.name),
    `${num(g.importance.mean, 4)} <span class="ci">[${num(g.importance.ciLow, 4)}, ${num(g.importance.ciHigh, 4)}]</span>`,
    num(g.impurity, 3),
    g.pimp ? pval(g.pimp.pValue) : '—',
    g.pimp ? pval(g.pimp.qValue) : '—',
    g.pimp ? (g.pimp.significant ? '<strong class="yes">yes</strong>' : 'no') : '—',
    g.stability ? `${pct(g.stability.top1)} / ${pct(g.stability.topK)} / ${num(g.stability.meanRank, 1)}` : '—',
    num(g.univariateAuc, 3),
  ]);
  const head = ['rank', 'map', `permutation importance [${conf}% CI]`, 'impurity share', 'PIMP p', 'BH q', `FDR ≤ ${s.fdr}`, `stability: top-1 / top-${s.topK} / mean rank`, 'univariate AUC'];
  const chart = await intervalChart(
    ordered.map((g) => ({ label: g.name, value: g.importance.mean, lo: g.importance.ciLow, hi: g.importance.ciHigh, highlight: g.pimp?.significant ?? false })),
    { title: `Grouped permutation importance (drop in ${r.metric.toUpperCase()}), ${conf}% intervals`, valueTitle: `drop in ${r.metric}`, labelTitle: 'map', rule: 0, highlightLegend: [`significant (BH q ≤ ${s.fdr})`, s.nullPermutations ? 'not significant' : 'no p-values'] },
  );
  const sig = ordered.filter((g) => g.pimp?.significant);
  const intro = `<p>A random forest (${s.nTrees} trees) predicts the label from the latent features ` +
    `(${esc(r.pooling ?? 'summary')} pooling: ${r.nColumns} columns from ${r.groups.length} maps${r.latentShape ? `, latent shape ${esc(r.latentShape.join('×'))}` : ''}) on ${r.nRows} cases. ` +
    `Importance is measured on ${r.evaluation === 'holdout' ? `${r.nEval} held-out cases (trained on ${r.nTrain})` : 'out-of-bag cases'}; unpermuted ${r.metric.toUpperCase()} ${num(r.baselineScore, 3)}, OOB accuracy ${num(r.oobAccuracy, 3)}. ` +
    `Permutations per map: ${s.repeats}; PIMP null: ${s.nullPermutations} label permutations (${esc(s.nullStatistic)}); bootstrap refits: ${s.stabilityBootstraps}; seed ${s.seed}.</p>` +
    (s.nullPermutations ? `<p><strong>${sig.length} of ${r.groups.length} maps</strong> are significant at FDR ${s.fdr}${sig.length ? `: ${sig.map((g) => esc(g.name)).join(', ')}` : ''}. ` +
      `With ${s.nullPermutations} null permutations the smallest attainable p-value is ${pval(1 / (1 + s.nullPermutations))}.</p>` : '<p>No null model was run (p-values skipped).</p>');
  return { id, title, body: `${intro}<div class="charts">${chart}</div>${table(head.map(esc), rows, { cls: 'num' })}` };
}

// "TCAV", "Embeddings" and "Disentanglement metrics": each read from its own file, or a note with the
// command that computes it.
import { intervalChart, renderChart } from '../../util/charts.js';
import { esc, figure, notComputed, num, pngImg, pval, table, unreadable, type Section } from '../html.js';
import type { RunFiles } from '../run-files.js';
import type { TcavConceptResult } from '../../explain/tcav/tcav.js';
import { targetLine } from './ranking.js';

export async function tcavSection(files: RunFiles, classNames?: string[]): Promise<Section> {
  const id = 'tcav',
    title = 'TCAV: concepts in latent space';
  const read = files.tcav;
  if (read.status === 'absent')
    return { id, title, body: notComputed('TCAV (tcav.json)', `latentlens tcav ${files.dir} --concept <spec>`) };
  if (read.status === 'error') return { id, title, body: unreadable('tcav.json', read.error) };
  const t = read.value.result;
  const target = read.value.inputs.target;
  if (target) classNames = target.classes.map((c) => c.name);
  const cls = esc(classNames?.[t.targetClass] ?? `class ${t.targetClass}`);
  const verdictCell = (c: TcavConceptResult) => {
    const v = c.verdict;
    return v === 'significant'
      ? '<strong class="yes">significant</strong>'
      : v === 'not determined'
        ? '<span class="flag">not determined</span>'
        : 'not significant';
  };
  const rows = t.concepts.map((c) => [
    esc(c.name),
    c.spec ? `<code>${esc(c.spec)}</code>` : '—',
    String(c.size),
    `${num(c.score, 3)} ± ${num(c.std, 3)}`,
    num(c.cavAccuracy, 3),
    `${c.asExtreme} / ${c.randomConcepts}`,
    pval(c.p),
    pval(c.pBonferroni),
    verdictCell(c),
  ]);
  rows.push([
    '<em>random vs random</em>',
    '—',
    '—',
    `${num(t.random.score, 3)} ± ${num(t.random.std, 3)}`,
    num(t.random.cavAccuracy, 3),
    '—',
    '—',
    '—',
    '—',
  ]);
  const chart = await intervalChart(
    [
      ...t.concepts.map((c) => ({
        label: c.name,
        value: c.score,
        lo: Math.max(0, c.score - c.std),
        hi: Math.min(1, c.score + c.std),
        highlight: c.verdict === 'significant',
      })),
      {
        label: 'random vs random',
        value: t.random.score,
        lo: Math.max(0, t.random.score - t.random.std),
        hi: Math.min(1, t.random.score + t.random.std),
        highlight: false,
      },
    ],
    {
      title: `TCAV score for ${classNames?.[t.targetClass] ?? `class ${t.targetClass}`} (mean ± sd over ${t.runs} CAVs)`,
      valueTitle: 'fraction of class cases with positive directional derivative',
      labelTitle: 'concept',
      rule: 0.5,
      highlightLegend: ['significant (Bonferroni)', 'not significant or not determined'],
    },
  );
  const f = read.value.inputs;
  const test = `Significance: each concept's mean score against up to ${t.significance.randomConcepts} random concepts of its size, each scored over ${t.runs} CAVs the same way (two-sided around 0.5; ties broken by the CAVs' alignment with the head's gradients); “as extreme” counts them; Bonferroni over ${t.concepts.length} concepts at α ${t.alpha}.`;
  const gate = `<p${t.gate.passed ? '' : ' class="flag"'}>Label head gate: ${esc(t.gate.note)}.${t.gate.passed ? '' : ' <strong>No verdicts.</strong>'}</p>`;
  const body =
    targetLine(target) +
    `<p>Class ${cls}: ${t.cases} cases; label head ${esc(t.head.kind)}${t.head.heldOutAccuracy !== undefined ? ` (held-out accuracy ${num(t.head.heldOutAccuracy, 3)})` : ''}; ` +
    `${t.runs} CAVs per concept, each against its own random set of at most ${t.setSize} cases; latent shape ${esc(t.latentShape.join('×'))}.` +
    ` Data <code>${esc(f.data)}</code>, split ${esc(f.split)}. ${test}</p>` +
    gate +
    `<div class="charts">${chart}</div>` +
    table(
      ['concept', 'spec', 'cases', 'TCAV score', 'CAV accuracy', 'random concepts as extreme', 'p', 'p (Bonferroni)', 'verdict'],
      rows,
      { cls: 'num' },
    ) +
    reasonList(t.concepts) +
    warningList(t.concepts);
  return { id, title, body };
}

/** Each concept's verdict with its evidence (version 2 on). */
function reasonList(concepts: TcavConceptResult[]): string {
  const items = concepts
    .filter((c) => c.reason)
    .map((c) => `<li><strong>${esc(c.name)}</strong> (${esc(c.verdict)}): ${esc(c.reason)}</li>`);
  return items.length > 0 ? `<p>Verdicts:</p><ul class="reasons">${items.join('')}</ul>` : '';
}

/** Each concept's caveats under the table (absent in tcav.json files written before they existed). */
function warningList(concepts: { name: string; warnings?: string[] }[]): string {
  const items = concepts.flatMap((c) => (c.warnings ?? []).map((w) => `<li><strong>${esc(c.name)}</strong>: ${esc(w)}</li>`));
  return items.length > 0 ? `<p>Caveats:</p><ul class="warnings">${items.join('')}</ul>` : '';
}

/** The settings a reader needs to judge an embedding; the rest stay in the JSON. */
const SHOWN_PARAMS = new Set(['seed', 'perplexity', 'nNeighbors', 'minDist', 'maxIterations', 'nEpochs', 'components', 'metric']);

export async function embedSection(files: RunFiles): Promise<Section> {
  const id = 'embeddings',
    title = 'Embeddings of the latent space';
  if (!files.embeds.length)
    return { id, title, body: notComputed('embeddings (embed-<method>.json)', `latentlens embed ${files.dir} --method umap`) };
  const parts: string[] = [];
  for (const e of files.embeds) {
    const name = ({ pca: 'PCA', tsne: 't-SNE', umap: 'UMAP' } as Record<string, string>)[e.method] ?? e.method;
    if (e.read.status === 'error') {
      parts.push(unreadable(`embed-${e.method}.json`, e.read.error));
      continue;
    }
    const env = e.read.status === 'ok' ? e.read.value : null;
    const j = env?.result ?? null;
    const params = j
      ? Object.entries(j.params)
          .filter(([k, v]) => SHOWN_PARAMS.has(k) && (typeof v !== 'object' || v === null))
          .map(([k, v]) => `${esc(k)} ${esc(v)}`)
          .join(', ')
      : '';
    const caption = `${esc(name)}${j ? ` of ${j.coords.length} cases (${esc(env!.settings.pooling)} pooling), trustworthiness ${num(j.trustworthiness, 3)}; coloured by ${env!.inputs.target ? `the target ${esc(env!.inputs.target.description)}` : esc(env!.settings.color)}. ${params}` : ''}`;
    if (e.png) {
      parts.push(figure(pngImg(e.png, `${name} embedding`, { cls: 'embed' }), caption));
    } else if (j) {
      // No figure beside the JSON: plot the stored coordinates (capped, so the inline SVG stays small).
      const stride = Math.max(1, Math.ceil(j.coords.length / 2000));
      const values = j.coords.filter((_, i) => i % stride === 0).map(([x, y]) => ({ x, y }));
      const svg = await renderChart({
        data: { values },
        title: `${name} (no PNG found; from the JSON)`,
        width: 360,
        height: 300,
        mark: { type: 'point', size: 8, opacity: 0.6, filled: true },
        encoding: {
          x: { field: 'x', type: 'quantitative', title: `${name} 1` },
          y: { field: 'y', type: 'quantitative', title: `${name} 2` },
        },
      });
      parts.push(figure(svg, caption));
    }
  }
  const missing = ['pca', 'tsne', 'umap'].filter((m) => !files.embeds.some((e) => e.method === m));
  return {
    id,
    title,
    body:
      `<div class="gallery">${parts.join('')}</div>` +
      (missing.length
        ? `<p class="note">Not computed: ${missing.map((m) => `<code>latentlens embed ${esc(files.dir)} --method ${m}</code>`).join(', ')}.</p>`
        : ''),
  };
}

export function metricsSection(files: RunFiles): Section {
  const id = 'metrics',
    title = 'Disentanglement metrics';
  const read = files.metrics;
  if (read.status === 'absent')
    return { id, title, body: notComputed('disentanglement metrics (metrics.json)', `latentlens metrics ${files.dir}`) };
  if (read.status === 'error') return { id, title, body: unreadable('metrics.json', read.error) };
  const f = read.value;
  const m = f.result;
  const rows: string[][] = [];
  const add = (name: string, v: number | undefined, range: string, extra = '') => {
    if (v !== undefined) rows.push([name, num(v, 3), range, extra]);
  };
  add('β-VAE score', m.betaVae?.score, '0..1', m.betaVae ? `chance ${num(m.betaVae.chance, 3)}` : '');
  add(
    'FactorVAE score',
    m.factorVae?.score,
    '0..1',
    m.factorVae ? `chance ${num(m.factorVae.chance, 3)}; ${m.factorVae.activeDims.length} active dims` : '',
  );
  add('MIG', m.mig?.score, '0..1');
  add('DCI disentanglement', m.dci?.disentanglement, '0..1');
  add('DCI completeness', m.dci?.completeness, '0..1');
  add('DCI informativeness', m.dci?.informativeness, '0..1 (accuracy)');
  add('SAP', m.sap?.score, '0..1');
  add('Modularity', m.modularity?.score, '0..1');
  add('Explicitness', m.explicitness?.score, '0.5..1 (AUC)');
  add('Total correlation (Gaussian)', m.totalCorrelation?.nats, '≥ 0 nats, 0 = uncorrelated');
  if (m.activeUnits) rows.push(['Active units', `${m.activeUnits.count} / ${m.latentDims}`, '', `variance > ${m.activeUnits.threshold}`]);
  let perFactor = '';
  if (m.factors.length && (m.mig || m.dci || m.sap || m.explicitness)) {
    perFactor =
      '<details><summary>Per factor</summary>' +
      table(
        ['factor', 'type', 'MIG', 'top dim (MI)', 'DCI completeness', 'DCI informativeness', 'SAP', 'explicitness'],
        m.factors.map((fa, k) => [
          esc(fa.name),
          fa.discrete ? `discrete (${fa.classes})` : 'continuous (binned)',
          num(m.mig?.perFactor[k], 3),
          m.mig ? String(m.mig.topDim[k]) : '—',
          num(m.dci?.perFactorCompleteness[k], 3),
          num(m.dci?.perFactorInformativeness[k], 3),
          num(m.sap?.perFactor[k], 3),
          num(m.explicitness?.perFactor[k], 3),
        ]),
        { cls: 'num' },
      ) +
      '</details>';
  }
  const body =
    `<p>${m.n} cases, ${m.latentDims} latent dimensions (${esc(f.settings.pooling)} pooling)${!f.inputs.supervised ? '; the data has no ground-truth factors, so only the unsupervised metrics are computed' : `; factors: ${m.factors.map((x) => esc(x.name)).join(', ')}`}.</p>` +
    table(['metric', 'value', 'range', ''], rows, { cls: 'num' }) +
    perFactor;
  return { id, title, body };
}

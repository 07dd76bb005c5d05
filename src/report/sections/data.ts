// "Data" and "Reconstructions": what the model saw and how well it gives it back.
import type { CaseDataset } from '../../data/types.js';
import type { Reconstructions, SampleImages } from '../case-images.js';
import { esc, figure, num, pngImg, table, type Section } from '../html.js';
import type { RunFiles } from '../run-files.js';

/** A value that is either there or failed with a reason (images the report renders itself). */
export type Maybe<T> = { ok: true; value: T } | { ok: false; reason: string };

function classCounts(data: CaseDataset): string {
  if (!data.labels) return 'no labels';
  if ((data.labelWidth ?? 1) !== 1)
    return `${data.labelWidth} labels per case (${esc(data.task ?? 'multilabel')}): ${esc((data.classNames ?? []).join(', '))}`;
  const counts = new Map<number, number>();
  for (const l of data.labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  return (
    [...counts.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([k, v]) => `${esc(data.classNames?.[k] ?? `class ${k}`)} (${k}): ${v}`)
      .join('; ') + (data.task ? ` — ${esc(data.task)}` : '')
  );
}

export function dataSection(files: RunFiles, dataset: Maybe<CaseDataset>, samples: Maybe<SampleImages>): Section {
  const c = files.config;
  const d = c.data;
  const m = c.model as unknown as Record<string, unknown>;
  const t = c.train;
  const rows: [string, string][] = [
    ['Source', `<code>${esc(typeof c.dataSpec === 'string' ? c.dataSpec : d.source)}</code>`],
    [d.shape.length === 5 ? 'Shape (N × C × D × H × W)' : 'Shape (N × C × H × W)', esc(d.shape.join(' × '))],
    ['Channels', d.channelNames.map((n) => `<code>${esc(n)}</code>`).join(', ')],
    ['Classes', dataset.ok ? classCounts(dataset.value) : `not loaded (${esc(dataset.reason)})`],
    ['Splits (train / val / test)', `${d.splits.train} / ${d.splits.val} / ${d.splits.test}`],
  ];
  if (d.defaults?.length) rows.push(['Defaults applied', d.defaults.map((x) => `<code>${esc(x)}</code>`).join('<br>')]);
  if (dataset.ok && dataset.value.factors) rows.push(['Ground-truth factors', dataset.value.factors.names.map(esc).join(', ')]);
  if (dataset.ok && dataset.value.masks?.length)
    rows.push([
      'Ground-truth masks',
      dataset.value.masks.map((mk) => `${esc(mk.name)} (in ${mk.channels.map(esc).join(', ') || 'no channel'})`).join('; '),
    ]);
  const model: [string, string][] = [
    ['Model', `<code>${esc(m.kind)}</code>`],
    [
      'Latent maps × grid',
      `${esc(m.latentMaps ?? '?')} × ${esc(Array.isArray(m.latentGrid) ? m.latentGrid.join('×') : (m.latentGrid ?? '?'))}`,
    ],
    [
      'Model settings',
      `<code>${esc(JSON.stringify(Object.fromEntries(Object.entries(m).filter(([k]) => !['kind', 'latentMaps', 'latentGrid', 'inputShape'].includes(k)))))}</code>`,
    ],
    t
      ? [
          'Training',
          `${t.steps ? `${t.steps} steps` : `${t.epochs} epochs`}, batch ${t.batchSize}, ${esc(t.optimizer)} lr ${t.lr} (${esc(t.schedule)}), seed ${c.seed}`,
        ]
      : [
          'Training',
          c.imported
            ? `none: imported (${esc(c.imported.format)}) from <code>${esc(c.imported.from)}</code>, SHA-256 <code>${esc(c.imported.sha256)}</code>`
            : 'not recorded',
        ],
    [
      'Versions',
      `latentlens ${esc(c.versions.latentlens)}, libtorch ${esc(c.versions.libtorch)}, Node ${esc(c.versions.node)}; created ${esc(c.created)}`,
    ],
  ];
  const kv = (r: [string, string][]) =>
    table(
      ['', ''],
      r.map(([k, v]) => [`<strong>${esc(k)}</strong>`, v]),
      { cls: 'kv' },
    );
  let body = `<div class="cols"><div>${kv(rows)}</div><div>${kv(model)}</div></div>`;
  if (samples.ok) {
    const comp = samples.value.composite;
    const sl = samples.value.slices;
    const rowsAre = sl
      ? `Each volume is shown as its middle slices across depth, height and width (indices ${sl.join(', ')}), three rows per input channel (`
      : comp
        ? `The top row is the colour composite of ${compositeWords(comp.window)}; below it the input channels (`
        : 'Rows are the input channels (';
    body += `<h3>Sample cases</h3><p class="note">The first ${samples.value.classes[0]?.cases.length ?? 0} cases of each class. ${rowsAre}${samples.value.channels.map(esc).join(', ')}, top to bottom), each shown between its 1st and 99th percentile over the data.</p><div class="gallery">`;
    for (const cls of samples.value.classes) {
      body += figure(
        pngImg(cls.png, `sample cases of ${cls.name}`),
        `${esc(cls.name)} — ${cls.count} cases; shown: ${cls.cases.map(String).join(', ')}`,
      );
    }
    body += '</div>';
  } else {
    body += `<p class="missing">Sample images not shown: ${esc(samples.reason)}</p>`;
  }
  return { id: 'data', title: 'Data', body };
}

/** How a colour composite is shown, in words. */
function compositeWords(window: [number, number]): string {
  return window[0] === 0 && window[1] === 1
    ? 'the R, G and B channels (their values 0..1 as they are: the true colours)'
    : `the R, G and B channels (one window, ${num(window[0])} to ${num(window[1])}, shared by the three so hues are kept)`;
}

export function reconstructionSection(recon: Maybe<Reconstructions>): Section {
  if (!recon.ok)
    return {
      id: 'reconstructions',
      title: 'Reconstructions',
      body: `<p class="missing">Reconstructions not shown: ${esc(recon.reason)}</p>`,
    };
  const r = recon.value;
  let body = `<p class="note">${r.cases.length} cases of the ${esc(r.split)} split (indices ${r.cases.join(', ')}), decoded with <code>${esc(r.weights)}</code>. ${r.slices ? `Each volume as its middle slices (indices ${r.slices.join(', ')}): across depth, input above reconstruction, then across height, then width` : 'Top row: input; bottom row: reconstruction'}; both through the same per-channel window${r.channels.some((ch) => ch.composite) ? ' (the RGB composite: one window shared by R, G and B, values clamped to it)' : ''}.</p><div class="gallery">`;
  for (const ch of r.channels)
    body += figure(pngImg(ch.png, `reconstructions of ${ch.name}`), ch.composite ? esc(ch.name) : `<code>${esc(ch.name)}</code>`);
  return { id: 'reconstructions', title: 'Reconstructions', body: `${body}</div>` };
}

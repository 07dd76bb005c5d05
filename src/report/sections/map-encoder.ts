// The encoder half of a map card: which input channel and region drive map k, each claim beside its control.
import { allZero, intervalChart } from '../../util/charts.js';
import { esc, interval, num, pct, pval, table } from '../html.js';
import type { ExplainFileResult as ExplainFile } from '../run-files.js';

const METHOD_NAMES: Record<string, string> = {
  gradient: 'gradient',
  'gradient-x-input': 'gradient × input',
  'integrated-gradients': 'integrated gradients',
  smoothgrad: 'SmoothGrad',
  'grad-cam': 'Grad-CAM',
  occlusion: 'occlusion',
  'channel-occlusion': 'channel occlusion',
};
export const methodName = (m: string): string => esc(METHOD_NAMES[m] ?? m);

const shareCell = (mean: number | undefined, ci: [number, number] | undefined) =>
  mean === undefined ? '—' : `${pct(mean, 1)} <span class="ci">[${pct(ci?.[0], 1)}, ${pct(ci?.[1], 1)}]</span>`;

export async function attributionBlock(r: ExplainFile): Promise<string> {
  const ch = r.channels;
  const entries = Object.entries(r.encoder.attributions);
  const rows = entries.map(([m, a]) => [
    methodName(m),
    ...ch.map((_, i) => (a?.share ? shareCell(a.share.mean[i], a.share.ci[i]) : '—')),
    ...ch.map((_, i) => (a?.shareAbs ? shareCell(a.shareAbs.mean[i], a.shareAbs.ci[i]) : '—')),
    a?.convergenceDeltaMaxAbs !== undefined ? num(a.convergenceDeltaMaxAbs, 4) : '—',
  ]);
  const c = r.encoder.contrastive;
  if (c)
    rows.push([
      `<strong>contrastive</strong> (IG, explained − reference)`,
      ...ch.map((_, i) => shareCell(c.share[i], c.ci[i])),
      ...ch.map((_, i) => `Δ ${num(c.difference[i], 4)}`),
      '—',
    ]);
  const head = ['method', ...ch.map((n) => `share ${esc(n)}`), ...ch.map((n) => `|share| ${esc(n)}`), 'IG completeness |δ| max'];
  const chartRows = entries.flatMap(([m, a]) =>
    a?.share
      ? ch.map((n, i) => ({
          label: n,
          group: METHOD_NAMES[m] ?? m,
          value: a.share!.mean[i]!,
          lo: a.share!.ci[i]![0],
          hi: a.share!.ci[i]![1],
        }))
      : [],
  );
  if (c)
    chartRows.push(...ch.map((n, i) => ({ label: n, group: 'contrastive (IG)', value: c.share[i]!, lo: c.ci[i]![0], hi: c.ci[i]![1] })));
  const chart = !chartRows.length
    ? ''
    : allZero(chartRows)
      ? '<p class="note empty-chart">No share chart: every channel\'s attribution share is exactly 0 for every method (the attributions are 0 everywhere).</p>'
      : await intervalChart(chartRows, {
          title: 'Attribution share per input channel (95% bootstrap intervals over cases)',
          valueTitle: 'share of attribution',
          labelTitle: 'input channel',
          groupTitle: 'method',
          width: 380,
        });
  const noShare = entries.filter(([, a]) => !a?.share).map(([m]) => methodName(m));
  return (
    `<h4>Attribution per input channel</h4>` +
    `<p class="note">Signed share: each channel's part of the attribution summed over pixels, mean over ${r.cases.explained.length} explained cases. ` +
    `|share| uses absolute values. The contrastive share attributes the <em>difference</em> between ${r.cases.explained.length} explained cases${r.cases.explainedSelection ? ` (${esc(r.cases.explainedSelection)})` : ''} and ${r.cases.reference.length} reference cases${referenceHow(r)}, so structure common to both classes cancels.` +
    `${noShare.length ? ` ${noShare.join(', ')} ${noShare.length === 1 ? 'gives a map' : 'give maps'}, not channel shares.` : ''}</p>` +
    `<div class="charts">${chart}</div>${table(head, rows, { cls: 'num' })}`
  );
}

export function mutingBlock(r: ExplainFile): string {
  const { controlled: m, naive: z } = r.encoder.muting;
  const rows = r.channels.map((name, i) => [
    esc(name),
    `${num(z.disturbance[i], 3)}${z.naiveDrivers.includes(name) ? ' <span class="flag">naive: driver</span>' : ''}`,
    num(m.disturbance[i], 3),
    pval(m.pShuffledChannels[i]),
    pval(m.pRandomMaps[i]),
    `${pct(m.share[i], 1)} <span class="ci">${interval(m.shareCI[i] ? [100 * m.shareCI[i]![0], 100 * m.shareCI[i]![1]] : null, 1)}%</span>`,
  ]);
  const head = [
    'channel',
    `naive S (${esc(z.baseline)} baseline)`,
    `S (${esc(m.baseline)} baseline)`,
    'p vs shuffled channels',
    'p vs random maps',
    'share of activation change',
  ];
  const verdict = m.driver
    ? `The controlled test names <strong>${esc(m.driver)}</strong> (significant against muting random channels, Bonferroni over channels)` +
      (m.mapSpecific
        ? ', and the map depends on it more than latent features in general do (significant against random maps).'
        : ', but the map does not depend on it more than random latent directions do: the information is not specific to this map.')
    : 'The controlled test names no channel.';
  const naive = z.naiveDrivers.length
    ? `The naive reading (mute to zero, call every channel whose rank correlation drops below the threshold a driver) would name ${z.naiveDrivers.map(esc).join(', ')}.`
    : 'The naive reading names no channel.';
  return `<h4>Channel muting test</h4><p>${verdict} ${naive} Computed on ${m.cases} cases.</p>${table(head, rows, { cls: 'num' })}`;
}

export function localisationBlock(r: ExplainFile): string {
  const loc = Object.entries(r.encoder.localization);
  if (!loc.length) return '<h4>Localisation</h4><p class="note">No ground-truth masks for this data: localisation not measured.</p>';
  return (
    `<h4>Localisation against ground-truth masks</h4>` +
    table(
      ['mask', 'pointing game', 'IoU (top pixels vs mask)', 'cases'],
      loc.map(([name, l]) => [esc(name), pct(l.pointingGame), num(l.iou, 3), String(l.cases)]),
      { cls: 'num' },
    )
  );
}

export function sanityBlock(r: ExplainFile): string {
  const s = r.encoder.sanity;
  const f = r.encoder.faithfulness;
  const sanity = s.length
    ? table(
        ['method', 'rank correlation, trained vs randomised encoder', 'SSIM', 'passed (both < 0.5)'],
        s.map((x) => [
          esc(x.method),
          num(x.rankCorrelation, 3),
          num(x.ssim, 3),
          x.passed ? '<span class="yes">yes</span>' : '<span class="no">no</span>',
        ]),
        { cls: 'num' },
      )
    : '<p class="note">Not run: this encoder cannot be randomised here (e.g. a TorchScript model).</p>';
  const faith = f
    ? table(
        ['curve', 'heatmap order', 'random order', 'reading'],
        [
          [
            'deletion AUC',
            num(f.deletionAuc, 3),
            num(f.randomDeletionAuc, 3),
            f.deletionAuc < f.randomDeletionAuc
              ? '<span class="yes">falls faster than random</span>'
              : '<span class="no">not faster than random</span>',
          ],
          [
            'insertion AUC',
            num(f.insertionAuc, 3),
            num(f.randomInsertionAuc, 3),
            f.insertionAuc > f.randomInsertionAuc
              ? '<span class="yes">rises faster than random</span>'
              : '<span class="no">not faster than random</span>',
          ],
        ],
        { cls: 'num' },
      ) +
      `<p class="note">${f.steps} steps; each case's curve is oriented by the sign of f(x) − f(baseline) and their mean divided by the mean |f(x) − f(baseline)|, so 1 is the whole way from the baseline to the case and values outside 0..1 mean the target overshoots on the way.</p>`
    : '<p class="note">Faithfulness not measured (needs integrated gradients or gradient × input).</p>';
  return `<h4>Sanity check (randomised encoder)</h4>${sanity}<h4>Faithfulness (deletion / insertion)</h4>${faith}`;
}

/** How the reference cases were chosen (explain JSON `cases.referenceSelection`; absent in older files). */
function referenceHow(r: ExplainFile): string {
  const sel = r.cases.referenceSelection;
  if (!sel || sel.method === 'none') return '';
  return sel.method === 'matched'
    ? ` (each matched to its explained case on ${esc(sel.statistics.join(', '))}: mean standardised distance ${num(sel.meanDistance, 2)}, random pairs ${num(sel.randomMeanDistance, 2)})`
    : ' (a seeded random sample)';
}

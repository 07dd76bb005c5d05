// The decoder half of a map card (what changing map k does to the output, against other maps and random
// sets) and what the map responds to (traversal, activation maximisation, exemplars).
import { esc, num, pct, pval, table } from '../html.js';
import type { ExplainFileResult as ExplainFile } from '../run-files.js';

export function ablationBlock(r: ExplainFile): string {
  const a = r.decoder.ablation;
  const inside = a.insideMask;
  const rows = r.channels.map((name, i) => [
    esc(name),
    num(a.effect[i], 5),
    num(a.controlMean[i], 5),
    `${num(a.ratio[i], 2)}${(a.ratio[i] ?? 0) > 1 ? '' : ' <span class="flag">≤ control</span>'}`,
    pval(a.pValue[i]),
    inside ? pct(inside[i], 0) : '—',
  ]);
  const head = [
    'output channel',
    'effect of ablating this map',
    'mean effect of ablating another map',
    'ratio',
    'consistency p',
    'effect inside mask',
  ];
  const e = r.decoder.entanglement;
  const c = r.conclusion;
  return (
    `<h4>Decoder: single-map ablation against other maps</h4>${table(head, rows, { cls: 'num' })}` +
    `<p>Decoder channels changed consistently and more than by other maps: ${c.decoderChannels.length ? c.decoderChannels.map((n) => `<strong>${esc(n)}</strong>`).join(', ') : 'none'}.</p>` +
    `<h4>Entanglement</h4><p>Entanglement index of this map: <strong>${num(e.map, 2)}</strong> (all maps: ${num(e.overall, 2)}; per map ${e.perMap.map((v) => num(v, 2)).join(', ')}). ` +
    (c.decoderEntangled
      ? '<span class="no">Entangled</span>: its decoder effects overlap other maps\', so decoder-side channels describe how the decoder mixes maps, not what this map encodes.'
      : '<span class="yes">Specific</span>: its decoder effects are largely its own.') +
    '</p>'
  );
}

export function maskedDecodeBlock(r: ExplainFile): string {
  const m = r.decoder.maskedDecode;
  const rows = m.channels.map((name, i) => [esc(name), pct(m.naiveChannelShare[i], 1), num(m.specificEffect[i], 4), pval(m.pValue[i])]);
  return (
    `<h4>Masked decoding against random map sets</h4>` +
    `<p class="note">Maps kept: ${m.keep.map(String).join(', ')}; every other map set to ${esc(m.fill)}; compared with ${m.randomSets} control sets of as many other maps.` +
    `${m.naiveInsideMask !== undefined ? ` The naive decoded image puts ${pct(m.naiveInsideMask, 1)} of its deviation from the mean image inside the mask.` : ''}</p>` +
    table(
      ['output channel', 'naive share of decoded deviation', 'specific effect (vs random sets, > 0 is specific)', 'p vs random sets'],
      rows,
      { cls: 'num' },
    )
  );
}

export function respondsBlock(r: ExplainFile, exemplarPngs: { top: string; bottom: string } | null): string {
  const ex = r.responds.exemplars;
  const am = r.responds.activationMax;
  const list = (xs: typeof ex.top) => xs.map((x) => `${esc(x.id ?? `case ${x.index}`)} (${num(x.activation, 3)})`).join(', ');
  return (
    `<h4>What the map responds to</h4>` +
    `<p>Traversal levels (population quantiles ${r.decoder.traversal.quantiles.map((q) => num(q, 2)).join(', ')}): ${r.decoder.traversal.levels.map((v) => num(v, 3)).join(', ')}.` +
    `${am ? ` Activation maximisation raised the map's mean activation from ${num(am.startValue, 3)} to ${num(am.finalValue, 3)}.` : ' Activation maximisation was skipped.'}</p>` +
    `<p><strong>Highest-activating cases:</strong> ${list(ex.top)}</p>${exemplarPngs?.top ?? ''}` +
    `<p><strong>Lowest-activating cases:</strong> ${list(ex.bottom)}</p>${exemplarPngs?.bottom ?? ''}`
  );
}

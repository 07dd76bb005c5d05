// One card per explained map: the conclusion first, then the encoder evidence, the decoder evidence and
// the figures `latentlens explain` wrote (inlined).
import { basename } from 'node:path';
import { parseFigureName } from '../../explain/figures.js';
import { aucWithDirection } from '../../explain/importance/meaning.js';
import type { GroupRank, ImportanceTest } from '../../explain/importance/types.js';
import type { TargetRecord } from '../../data/target.js';
import { esc, figure, fitPng, num, pngImg, pval, unreadable } from '../html.js';
import { readRunPng, type ExplainFile, type ExplainFileResult, type RunFiles } from '../run-files.js';
import { attributionBlock, localisationBlock, methodName, mutingBlock, sanityBlock } from './map-encoder.js';
import { ablationBlock, maskedDecodeBlock, respondsBlock } from './map-decoder.js';
import { targetLine } from './ranking.js';
import { rgbChannels } from '../../util/png.js';

/** Renders exemplar cases (by index and id) as inline images, or null when the data cannot be matched to them. */
export type ExemplarRenderer = (cases: { index: number; id?: string }[], caption: string) => Promise<string | null>;

function conclusionBlock(file: ExplainFile, g: GroupRank | undefined, rankTarget: TargetRecord | undefined, classes: number): string {
  const c = file.result.conclusion;
  const target = file.inputs.target;
  const test = (what: string, t: ImportanceTest | null | undefined) =>
    t
      ? `${what} Brier importance ${num(t.mean, 4)} [${num(t.ciLow, 4)}, ${num(t.ciHigh, 4)}], q ${pval(t.qValue)}${t.significant ? ' (significant)' : ' (not significant)'}`
      : '';
  const rank = g?.marginal
    ? `<p class="note">Rank ${g.rank}; ${[test('marginal', g.marginal), test('conditional', g.conditional)].filter(Boolean).join('; ')}` +
      `; univariate AUC ${esc(aucWithDirection(g.univariateAuc, g.direction, rankTarget?.positive, classes))}${rankTarget && target && rankTarget.expression !== target.expression ? ` (ranked for the target ${esc(rankTarget.expression)})` : ''}.</p>`
    : '';
  return (
    `<div class="conclusion">${target ? targetLine(target) : ''}${rank}<ul>` +
    `<li>Input channel that drives it: ${c.inputChannel ? `<strong>${esc(c.inputChannel)}</strong>` : '<strong>not determined</strong> (the evidence is weak or disagrees)'}</li>` +
    `<li>Decoder output channels it changes beyond other maps: ${c.decoderChannels.length ? c.decoderChannels.map((n) => `<strong>${esc(n)}</strong>`).join(', ') : 'none'}` +
    `${c.decoderEntangled ? ' — <span class="no">entangled</span>, so this describes the decoder\'s mixing rather than the map' : ''}</li></ul>` +
    (c.notes.length ? `<p><strong>Notes</strong></p><ul class="notes">${c.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : '') +
    '</div>'
  );
}

/** Which cases the figures show and by what rule (files written before the rule showed the first four explained cases). */
export function figureCasesText(r: ExplainFileResult): string {
  const f = r.figureCases;
  if (!f)
    return 'the first explained cases (this file predates the case-choice rule; rerun <code>latentlens explain</code> to spread them over the activation)';
  return `${f.cases.map((c, j) => `${esc(c)} (activation ${num(f.activation[j], 3)})`).join(', ')}: ${esc(f.rule)}`;
}

/** Overlays are shown this wide (in the table): their PNGs are scaled to it. */
const OVERLAY_WIDTH = 96;

async function figuresBlock(files: RunFiles, r: ExplainFileResult): Promise<string> {
  const paths = r.figures ?? [];
  if (!paths.length) return '<p class="note">No figures recorded for this map.</p>';
  const attribution = new Map<string, Map<string, Map<string, Uint8Array>>>();
  const traversals: [string, Uint8Array][] = [];
  const other: [string, Uint8Array][] = [];
  let actMax: Uint8Array | null = null;
  let missing = 0;
  for (const p of paths) {
    const raw = readRunPng(files.dir, p);
    if (!raw) {
      missing++;
      continue;
    }
    const name = basename(p, '.png');
    // Figure names carry channel indices; the channel's name is read back from the JSON (r.channels).
    const fig = parseFigureName(name, r.channels ?? []);
    // Inlined at the size they are shown: the report stays small (a 96 px run's overlays are 192 px files).
    const png = await fitPng(raw, fig?.kind === 'attribution' ? OVERLAY_WIDTH : undefined);
    if (fig?.kind === 'attribution') {
      const byCase = attribution.get(fig.method) ?? new Map<string, Map<string, Uint8Array>>();
      const byChannel = byCase.get(fig.caseIndex) ?? new Map<string, Uint8Array>();
      byChannel.set(fig.channel, png);
      byCase.set(fig.caseIndex, byChannel);
      attribution.set(fig.method, byCase);
    } else if (fig?.kind === 'traversal') traversals.push([fig.channel, png]);
    else if (fig?.kind === 'activation-max') actMax = png;
    else other.push([name, png]);
  }
  let html = '';
  // Channel occlusion gives one number per channel, so its overlay is a uniform square: the share table says it better.
  const uniform = attribution.delete('channel-occlusion');
  if (attribution.size) {
    // In the order the rule chose them (increasing activation), else by index.
    const order = (r.figureCases?.cases ?? []).map(String);
    const rankOf = (c: string) => (order.includes(c) ? order.indexOf(c) : order.length + Number(c));
    const cases = [...new Set([...attribution.values()].flatMap((m) => [...m.keys()]))].sort(
      (a, b) => rankOf(a) - rankOf(b) || Number(a) - Number(b),
    );
    const outlines = r.figureOutlines ?? [];
    html +=
      `<h4>Attribution overlays</h4><p class="note">Each input channel in gray with the attribution on top: red where it raises map ${r.map}'s mean activation, blue where it lowers it; each image scaled to its own largest |value|.` +
      (outlines.length ? ` Ground truth outlined: ${outlines.map((o) => `${esc(o.mask)} in ${esc(o.colour)}`).join(', ')}.` : '') +
      ` Cases shown: ${figureCasesText(r)}.` +
      `${uniform ? ' Channel occlusion is left out: it gives one value per channel, shown in the table above.' : ''}</p>`;
    html += `<table class="figs"><thead><tr><th>method</th><th>channel</th>${cases.map((c) => `<th>case ${esc(c)}</th>`).join('')}</tr></thead><tbody>`;
    for (const [method, byCase] of attribution) {
      const channels = [...new Set([...byCase.values()].flatMap((m) => [...m.keys()]))];
      channels.forEach((ch, i) => {
        html +=
          `<tr>${i === 0 ? `<td rowspan="${channels.length}">${methodName(method)}</td>` : ''}<td>${esc(ch)}</td>` +
          cases
            .map((cs) => {
              const png = byCase.get(cs)?.get(ch);
              return `<td>${png ? pngImg(png, `${method} case ${cs} ${ch}`, { width: OVERLAY_WIDTH }) : ''}</td>`;
            })
            .join('') +
          '</tr>';
      });
    }
    html += '</tbody></table>';
  }
  if (traversals.length) {
    const which = r.figureCases ? `explained case ${esc(r.figureCases.cases[0])} (the first figure case)` : 'one explained case';
    html += `<h4>Traversal</h4><p class="note">Decoded outputs of ${which} as map ${r.map} is set to each traversal level (left to right: the population quantiles above), other maps fixed.</p><div class="gallery">`;
    html +=
      traversals
        .map(([ch, png]) => figure(pngImg(png, `traversal ${ch}`, { cls: 'framed' }), `output channel <code>${esc(ch)}</code>`))
        .join('') + '</div>';
  }
  if (actMax)
    html += `<h4>Activation maximisation</h4><div class="gallery">${figure(pngImg(actMax, 'activation maximisation', { cls: 'framed' }), `Input optimised to maximise map ${r.map}; ${rgbChannels(r.channels) ? 'its RGB composite, then ' : ''}input channels ${r.channels.map(esc).join(', ')} left to right.`)}</div>`;
  if (other.length)
    html += `<h4>Other figures</h4><div class="gallery">${other.map(([n, png]) => figure(pngImg(png, n), esc(n))).join('')}</div>`;
  if (missing) html += `<p class="missing">${missing} figure file(s) listed in the JSON are missing or not PNGs.</p>`;
  return html;
}

export async function mapCard(files: RunFiles, entry: RunFiles['explains'][number], renderExemplars: ExemplarRenderer): Promise<string> {
  const id = `map-${entry.map}`;
  if (entry.read.status !== 'ok')
    return `<article class="card" id="${id}"><h3>Map ${entry.map}</h3>${unreadable(entry.file, entry.read.status === 'error' ? entry.read.error : 'absent')}</article>`;
  const file = entry.read.value as ExplainFile;
  const r = file.result;
  const rank = files.rank.status === 'ok' ? files.rank.value : undefined;
  const g = rank?.result.groups[r.map];
  const ex = r.responds.exemplars;
  const [top, bottom] = await Promise.all([renderExemplars(ex.top, 'highest'), renderExemplars(ex.bottom, 'lowest')]);
  return (
    `<article class="card" id="${id}"><h3>Map ${r.map}${g ? ` <span class="sub">(${esc(g.name)}, rank ${g.rank})</span>` : ''}</h3>` +
    conclusionBlock(file, g, rank?.inputs.target, rank?.result.classes.length ?? 2) +
    `<h4 class="part">Encoder: which input channel and region drive the map</h4>` +
    (await attributionBlock(r)) +
    mutingBlock(r) +
    localisationBlock(r) +
    sanityBlock(r) +
    `<h4 class="part">Decoder: what the map changes in the output</h4>` +
    ablationBlock(r) +
    maskedDecodeBlock(r) +
    respondsBlock(r, top || bottom ? { top: top ?? '', bottom: bottom ?? '' } : null) +
    (await figuresBlock(files, r)) +
    '</article>'
  );
}

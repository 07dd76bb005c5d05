// The report card of a map explained on volumes (explain/map-<k>.json with `volumes: true`): the three
// volume attribution methods' channel shares, cost and ground-truth localisation as a table, the three
// orthogonal slices through each attribution's peak, and what was not computed on volumes. (The 2D
// card's decoder parts do not exist for volumes yet.)
import type { VolumeMapExplanation } from '../../explain/explain-volume-map.js';
import type { VolumeExplainFileResult, VolumeFigure } from '../../runs/explain-volumes-run.js';
import { esc, figure, num, pngImg } from '../html.js';
import { readRunPng } from '../run-files.js';

/** Whether an explain file holds a volume explanation. */
export function isVolumeExplanation(value: unknown): value is VolumeExplainFileResult {
  return typeof value === 'object' && value !== null && (value as { volumes?: unknown }).volumes === true;
}

export function volumeMapCard(dir: string, r: VolumeExplainFileResult): string {
  // The figure list explain wrote (entries that are not slice figures, e.g. of a 2D file, are ignored).
  const listed: unknown = r.figures;
  const figures = Array.isArray(listed)
    ? listed.filter((f): f is VolumeFigure => typeof f === 'object' && f !== null && typeof (f as VolumeFigure).path === 'string')
    : [];
  const rows = r.methods
    .map((m) => {
      const share = m.channelShare
        ? Object.entries(m.channelShare)
            .map(([k, v]) => `${esc(k)} ${num(v, 2)}`)
            .join(', ')
        : 'spatial only';
      const masks =
        m.masks
          .filter((k) => k.cases > 0)
          .map(
            (k) =>
              `${esc(k.mask)}: ${num(100 * k.inMask, 0)}% inside (chance ${num(100 * k.chance, 1)}%), peak inside ${num(100 * k.pointing, 0)}%`,
          )
          .join('; ') || '—';
      return `<tr><td>${esc(m.method)}</td><td>${share}</td><td>${m.forwardPassesPerVolume}</td><td>${masks}</td></tr>`;
    })
    .join('');
  return (
    `<article class="card" id="map-${r.map}"><h3>Map ${r.map} <span class="sub">(volumes)</span></h3>` +
    `<p>Input channel: <b>${esc(r.inputChannel ?? 'not determined')}</b> (integrated gradients' net share), on ${r.cases.explained.length} volumes against the ${esc(r.cases.baseline)}.</p>` +
    `<table><tr><th>method</th><th>channel share</th><th>forward passes per volume</th><th>attribution in ground-truth masks</th></tr>${rows}</table>` +
    decoderBlock(r) +
    sliceFigures(dir, figures, [...new Set(r.methods.flatMap((m) => m.masks.filter((k) => k.cases > 0).map((k) => k.mask)))]) +
    `<p class="note">Not computed on volumes yet: ${r.notComputed.map(esc).join('; ')}.</p></article>`
  );
}

// Ablation per output channel and the entanglement index, or why there are none.
function decoderBlock(r: VolumeMapExplanation): string {
  if (!r.decoder) return r.decoderNote ? `<p class="note">Decoder: ${esc(r.decoderNote)}.</p>` : '';
  const rows = Object.entries(r.decoder.ablation)
    .map(
      ([ch, v]) =>
        `<tr><td>${esc(ch)}</td><td>${num(v.effect, 4)}</td><td>${num(v.control, 4)}</td><td>${num(v.ratio, 2)}</td><td>${num(v.pValue, 3)}</td><td>${v.insideMask === undefined ? '—' : `${num(100 * v.insideMask, 0)}%`}</td></tr>`,
    )
    .join('');
  return (
    `<h4 class="part">Decoder: what the map changes in the output</h4>` +
    `<table><tr><th>output channel</th><th>effect of ablating the map</th><th>other maps (control)</th><th>ratio</th><th>consistency p</th><th>in the mask</th></tr>${rows}</table>` +
    `<p>Entanglement index ${num(r.decoder.entanglement.map, 2)} (all maps ${num(r.decoder.entanglement.overall, 2)}; 0: the map changes the decoding where no other map does).</p>`
  );
}

// One row of three slices (depth, height, width) per method, case and channel; unreadable files are skipped.
function sliceFigures(dir: string, figures: VolumeFigure[], masks: string[]): string {
  const outlines = masks.length ? `ground truth outlined (${masks.map(esc).join(', ')})` : 'the data have no ground-truth masks';
  const groups = new Map<string, VolumeFigure[]>();
  for (const f of figures) {
    const key = `${f.method} / case ${f.case} / ${f.channel}`;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  const rows: string[] = [];
  for (const [key, fs] of groups) {
    const imgs = fs
      .map((f) => {
        const png = readRunPng(dir, f.path);
        return png ? pngImg(png, `${key}, slice ${f.index} across ${f.axis}`, { width: 160 }) : '';
      })
      .join(' ');
    if (imgs.trim())
      rows.push(
        figure(
          imgs,
          `${esc(key)}: slices through the attribution's peak (${fs.map((f) => `${esc(f.axis)} ${f.index}`).join(', ')}); ${outlines}`,
          'slices',
        ),
      );
  }
  return rows.length ? `<h4 class="part">Three orthogonal slices</h4><div class="gallery">${rows.join('')}</div>` : '';
}

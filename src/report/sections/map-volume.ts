// The report card of a map explained on volumes (explain/map-<k>.json with `volumes: true`): the three
// volume attribution methods' channel shares, cost and ground-truth localisation as a table, and what
// was not computed on volumes. (The 2D card's figures and decoder parts do not exist for volumes yet.)
import type { VolumeMapExplanation } from '../../explain/explain-volume-map.js';
import { esc, num } from '../html.js';

/** Whether an explain file holds a volume explanation. */
export function isVolumeExplanation(value: unknown): value is VolumeMapExplanation {
  return typeof value === 'object' && value !== null && (value as { volumes?: unknown }).volumes === true;
}

export function volumeMapCard(r: VolumeMapExplanation): string {
  const rows = r.methods.map((m) => {
    const share = m.channelShare ? Object.entries(m.channelShare).map(([k, v]) => `${esc(k)} ${num(v, 2)}`).join(', ') : 'spatial only';
    const masks = m.masks.filter((k) => k.cases > 0).map((k) => `${esc(k.mask)}: ${num(100 * k.inMask, 0)}% inside (chance ${num(100 * k.chance, 1)}%), peak inside ${num(100 * k.pointing, 0)}%`).join('; ') || '—';
    return `<tr><td>${esc(m.method)}</td><td>${share}</td><td>${m.forwardPassesPerVolume}</td><td>${masks}</td></tr>`;
  }).join('');
  return `<article class="card" id="map-${r.map}"><h3>Map ${r.map} <span class="sub">(volumes)</span></h3>` +
    `<p>Input channel: <b>${esc(r.inputChannel ?? 'not determined')}</b> (integrated gradients' net share), on ${r.cases.explained.length} volumes against the ${esc(r.cases.baseline)}.</p>` +
    `<table><tr><th>method</th><th>channel share</th><th>forward passes per volume</th><th>attribution in ground-truth masks</th></tr>${rows}</table>` +
    `<p class="note">Not computed on volumes yet: ${r.notComputed.map(esc).join('; ')}.</p></article>`;
}

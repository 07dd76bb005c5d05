// The selected map of a volume run (explain/map-<k>.json with `volumes: true`, src/runs/explain-volumes-run.ts):
// the input channel, each volume method's channel shares, cost and mass inside the ground-truth masks, the
// decoder's ablation table and entanglement index, and the figures explain wrote, laid out as the report's
// volume card does: per method, case and channel one row of three orthogonal slices (depth, height, width)
// through the attribution's peak.
import { figureUrl } from './api.js';
import { fmt, h } from './dom.js';

const pct = (v, digits = 0) => (typeof v === 'number' && Number.isFinite(v) ? `${(100 * v).toFixed(digits)}%` : '–');
const AXES = ['depth', 'height', 'width'];
// The outline colours of the figures, in mask order (OUTLINE_COLOURS in src/explain/figures.ts).
const OUTLINES = ['green', 'yellow', 'cyan', 'magenta'];

function methodsTable(ex) {
  const rows = (ex.methods ?? []).map((m) => {
    const share = m.channelShare
      ? Object.entries(m.channelShare)
          .map(([c, v]) => `${c} ${fmt(v, 2)}`)
          .join(', ')
      : 'spatial only';
    const masks =
      (m.masks ?? [])
        .filter((k) => k.cases > 0)
        .map((k) => `${k.mask}: ${pct(k.inMask)} inside (chance ${pct(k.chance, 1)}), peak inside ${pct(k.pointing)}`)
        .join('; ') || '–';
    return h('tr', {}, h('td', {}, m.method), h('td', {}, share), h('td', {}, String(m.forwardPassesPerVolume)), h('td', {}, masks));
  });
  return h(
    'table',
    { class: 'volume-methods' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['method', 'channel share', 'forward passes per volume', 'attribution in ground-truth masks'].map((t) => h('th', {}, t)),
      ),
    ),
    h('tbody', {}, ...rows),
  );
}

function decoderBlock(ex) {
  const d = ex.decoder;
  if (!d) return ex.decoderNote ? h('p', { class: 'muted small' }, `Decoder: ${ex.decoderNote}.`) : null;
  return h(
    'div',
    {},
    h('h4', {}, 'Decoder: what the map changes in the output'),
    h(
      'table',
      { class: 'volume-ablation' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['output channel', 'effect of ablating the map', 'other maps (control)', 'ratio', 'consistency p', 'in the mask'].map((t) =>
            h('th', {}, t),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        ...Object.entries(d.ablation ?? {}).map(([ch, v]) =>
          h(
            'tr',
            {},
            h('td', {}, ch),
            h('td', {}, fmt(v.effect)),
            h('td', {}, fmt(v.control)),
            h('td', {}, fmt(v.ratio)),
            h('td', {}, fmt(v.pValue)),
            h('td', {}, v.insideMask === undefined ? '–' : pct(v.insideMask)),
          ),
        ),
      ),
    ),
    h(
      'p',
      { class: 'small' },
      `Entanglement index ${fmt(d.entanglement?.map, 2)} (all maps ${fmt(d.entanglement?.overall, 2)}; 0: the map changes the decoding where no other map does); ${d.decodesPerVolume} decodes per volume.`,
    ),
  );
}

// method -> "case / channel" -> figures in depth, height, width order; entries that are not slice figures are skipped.
function sliceRows(run, ex) {
  const byMethod = new Map();
  for (const f of Array.isArray(ex.figures) ? ex.figures : []) {
    if (!f || typeof f.path !== 'string' || !AXES.includes(f.axis)) continue;
    if (!byMethod.has(f.method)) byMethod.set(f.method, new Map());
    const groups = byMethod.get(f.method);
    const key = `case #${f.case} · ${f.channel}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(f);
  }
  return [...byMethod].map(([method, groups]) =>
    h(
      'div',
      { class: 'volume-method', 'data-method': method },
      h('h4', {}, method),
      h(
        'div',
        { class: 'slice-figures' },
        ...[...groups].map(([key, fs]) => {
          fs.sort((a, b) => AXES.indexOf(a.axis) - AXES.indexOf(b.axis));
          return h(
            'figure',
            { class: 'volume-slices' },
            h(
              'div',
              { class: 'slice-row' },
              ...fs.map((f) => h('img', { class: 'slice', src: figureUrl(run, f.path), alt: `${method} ${key} ${f.axis} ${f.index}` })),
            ),
            h('figcaption', {}, `${key} · ${fs.map((f) => `${f.axis} ${f.index}`).join(', ')}`),
          );
        }),
      ),
    ),
  );
}

/** The map view of a volume explanation; `head` is the map's line from the ranking. */
export function volumeMapView(run, ex, head) {
  // Every method lists the masks in the order explain outlined them.
  const masks = (ex.methods?.[0]?.masks ?? []).slice(0, OUTLINES.length).map((k, j) => `${k.mask} in ${OUTLINES[j]}`);
  const figures = sliceRows(run, ex);
  return h(
    'div',
    { class: 'volume-map' },
    head,
    h(
      'div',
      { class: 'conclusion' },
      h(
        'p',
        {},
        'Input channel that drives it: ',
        h('strong', {}, ex.inputChannel ?? 'not determined'),
        " (integrated gradients' net share)",
      ),
      h(
        'p',
        { class: 'muted small' },
        `On ${ex.cases?.explained?.length ?? 0} volumes against the ${ex.cases?.baseline ?? 'reference'} (${ex.cases?.reference ?? '?'} cases).`,
      ),
      ex.notes?.length ? h('ul', {}, ...ex.notes.map((n) => h('li', {}, n))) : null,
    ),
    methodsTable(ex),
    decoderBlock(ex),
    figures.length
      ? h(
          'p',
          { class: 'muted small' },
          'Three orthogonal slices per method, volume and input channel, through the voxel where the attribution peaks (its indices under each): across depth (an H x W plane), height (D x W) and width (D x H); red where the attribution is positive, blue where negative' +
            (masks.length ? `; ground truth outlined: ${masks.join(', ')}.` : '.'),
        )
      : h('p', { class: 'muted small' }, 'explain wrote no slice figures for this map.'),
    ...figures,
    ex.notComputed?.length ? h('p', { class: 'muted small' }, `Not computed on volumes yet: ${ex.notComputed.join('; ')}.`) : null,
  );
}

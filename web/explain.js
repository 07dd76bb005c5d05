// The selected map: its row in the ranking, the explain conclusion, channel shares per attribution
// method, and the figures `latentlens explain` wrote (heatmaps over each input channel, traversals).
import { figureUrl } from './api.js';
import { fmt, h } from './dom.js';
import { volumeMapView } from './explain-volume.js';

const HEATMAP = /^figures\/map-\d+\/([a-z-]+)-case(\d+)-(.+)\.png$/;
// As fileSlug in src/util/run-paths.ts: figure names carry the channel index plus this slug of its name.
const slug = (name) =>
  String(name)
    .replace(/[^A-Za-z0-9_-]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 40)
    .replace(/_+$/, '');
/** The channel a figure name's tail (`ch<c>[-<slug>]`, or an older file's channel name) stands for (parseFigureName in src/explain/figures.ts). */
function channelOf(tail, channels) {
  const m = /^ch(\d+)(?:-([A-Za-z0-9_-]+))?$/.exec(tail);
  const c = m ? Number(m[1]) : -1;
  return m && c < channels.length && (m[2] ?? '') === slug(channels[c]) ? channels[c] : tail;
}

export function mapView(run, k, ex, rank, meta) {
  const g = rank?.groups?.find((x) => x.index === k);
  const head = h(
    'p',
    {},
    h('strong', {}, `map ${k}`),
    g?.marginal
      ? ` · rank ${g.rank} · marginal ${fmt(g.marginal.mean)} (q ${fmt(g.marginal.qValue)}${g.marginal.significant ? ', significant' : ''})` +
          (g.conditional
            ? ` · conditional ${fmt(g.conditional.mean)} (q ${fmt(g.conditional.qValue)}${g.conditional.significant ? ', significant' : ''})`
            : '')
      : '',
  );
  if (ex?.volumes === true) return volumeMapView(run, ex, head);
  if (!ex)
    return h(
      'div',
      {},
      head,
      h(
        'p',
        { class: 'muted' },
        `No explanation of map ${k} yet: run latentlens explain ${run} --map ${k}. The sliders still edit it live.`,
      ),
    );

  const c = ex.conclusion ?? {};
  const conclusion = h(
    'div',
    { class: 'conclusion' },
    h('p', {}, 'Input channel that drives it: ', h('strong', {}, c.inputChannel ?? 'not determined')),
    h(
      'p',
      {},
      'Decoder channels it changes: ',
      h('strong', {}, c.decoderChannels?.length ? c.decoderChannels.join(', ') : 'none'),
      c.decoderEntangled ? ' (entangled with other maps)' : '',
    ),
    c.notes?.length ? h('ul', {}, ...c.notes.map((n) => h('li', {}, n))) : null,
  );

  const shares = Object.entries(ex.encoder?.attributions ?? {}).filter(([, a]) => a?.share);
  const shareTable = shares.length
    ? h(
        'table',
        {},
        h('thead', {}, h('tr', {}, h('th', {}, 'method'), ...ex.channels.map((ch) => h('th', {}, `${ch} share`)))),
        h(
          'tbody',
          {},
          ...shares.map(([m, a]) =>
            h(
              'tr',
              {},
              h('td', {}, m),
              ...a.share.mean.map((v, i) => h('td', {}, `${fmt(v)} [${fmt(a.share.ci[i][0])}, ${fmt(a.share.ci[i][1])}]`)),
            ),
          ),
        ),
      )
    : null;

  // method -> case -> channel -> path
  const byMethod = new Map();
  const other = [];
  for (const f of ex.figures ?? []) {
    const m = HEATMAP.exec(f);
    if (!m) {
      other.push(f);
      continue;
    }
    const [, method, cs, tail] = m;
    const ch = channelOf(tail, ex.channels ?? []);
    if (!byMethod.has(method)) byMethod.set(method, new Map());
    const cases = byMethod.get(method);
    if (!cases.has(cs)) cases.set(cs, new Map());
    cases.get(cs).set(ch, f);
  }
  const heatmaps = [...byMethod].map(([method, cases]) =>
    h(
      'div',
      { class: 'heat-method' },
      h('h4', {}, method),
      h(
        'table',
        { class: 'heat' },
        h('thead', {}, h('tr', {}, h('th', {}, 'case'), ...ex.channels.map((ch) => h('th', {}, ch)))),
        h(
          'tbody',
          {},
          ...[...cases].map(([cs, chans]) =>
            h(
              'tr',
              {},
              h('td', {}, `#${cs}`),
              ...ex.channels.map((ch) =>
                h(
                  'td',
                  {},
                  chans.has(ch)
                    ? h('img', { class: 'heatmap', src: figureUrl(run, chans.get(ch)), alt: `${method} ${ch} case ${cs}` })
                    : '–',
                ),
              ),
            ),
          ),
        ),
      ),
    ),
  );
  const extras = other.map((f) =>
    h(
      'figure',
      {},
      h('img', { class: 'extra', src: figureUrl(run, f), alt: f }),
      h(
        'figcaption',
        {},
        f
          .split('/')
          .pop()
          .replace(/\.png$/, ''),
      ),
    ),
  );

  return h(
    'div',
    {},
    head,
    conclusion,
    shareTable,
    h(
      'p',
      { class: 'muted small' },
      `Heatmaps over each input channel (${meta.channels.join(', ')}): red where the attribution is positive, blue where negative.` +
        (ex.figureOutlines?.length
          ? ` Ground truth outlined: ${ex.figureOutlines.map((o) => `${o.mask} in ${o.colour}`).join(', ')}.`
          : '') +
        (ex.figureCases ? ` Cases ${ex.figureCases.cases.join(', ')}: ${ex.figureCases.rule}.` : ''),
    ),
    h('div', { class: 'heat-grid' }, ...heatmaps),
    extras.length ? h('div', { class: 'extras' }, ...extras) : null,
  );
}

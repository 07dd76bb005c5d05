// The ranking table (rank.json) and the TCAV table (tcav.json).
import { fmt, h } from './dom.js';

/** Maps sorted by rank; clicking a row picks the map. */
export function rankingTable(rank, onPick, current) {
  const rows = [...rank.groups].sort((a, b) => a.rank - b.rank);
  const head = ['rank', 'map', 'importance', '95% CI', 'p', 'q (FDR)', 'sig.', 'top-1 stab.', 'AUC'];
  return h('div', {},
    h('p', { class: 'muted small' }, `${rank.metric.toUpperCase()} ${fmt(rank.baselineScore)} on ${rank.nEval} ${rank.evaluation} cases; importance = drop when the map is permuted. p from a permutation null (PIMP), q by Benjamini–Hochberg.`),
    h('table', { class: 'ranking' },
      h('thead', {}, h('tr', {}, ...head.map((t) => h('th', {}, t)))),
      h('tbody', {}, ...rows.map((g) => h('tr', {
        'data-map': String(g.index), class: current() === g.index ? 'selected' : '', tabindex: '0',
        onclick: () => onPick(g.index), onkeydown: (e) => { if (e.key === 'Enter') onPick(g.index); },
      },
      h('td', {}, String(g.rank)), h('td', {}, g.name),
      h('td', {}, fmt(g.importance.mean)), h('td', {}, `${fmt(g.importance.ciLow)} … ${fmt(g.importance.ciHigh)}`),
      h('td', {}, fmt(g.pimp?.pValue)), h('td', {}, fmt(g.pimp?.qValue)),
      h('td', { class: g.pimp?.significant ? 'yes' : 'no' }, g.pimp ? (g.pimp.significant ? 'yes' : 'no') : '–'),
      h('td', {}, fmt(g.stability?.top1)), h('td', {}, fmt(g.univariateAuc)))))));
}

export function tcavTable(file) {
  const r = file.result ?? file;
  if (!r?.concepts) return h('p', { class: 'muted' }, 'tcav.json has no concepts.');
  return h('div', {},
    h('p', { class: 'muted small' }, `target class ${r.targetClass}; ${r.runs} CAVs per concept against random sets; head ${r.head?.kind ?? '?'}${r.head?.heldOutAccuracy !== undefined ? ` (held-out acc. ${fmt(r.head.heldOutAccuracy)})` : ''}; Bonferroni at α = ${r.alpha}.`),
    h('table', {},
      h('thead', {}, h('tr', {}, ...['concept', 'TCAV score', '± sd', 'CAV acc.', 'p', 'p (Bonf.)', 'sig.'].map((t) => h('th', {}, t)))),
      h('tbody', {},
        ...r.concepts.map((c) => h('tr', {},
          h('td', { title: c.spec ?? '' }, c.name), h('td', {}, fmt(c.score)), h('td', {}, fmt(c.std)), h('td', {}, fmt(c.cavAccuracy)),
          h('td', {}, fmt(c.p)), h('td', {}, fmt(c.pBonferroni)), h('td', { class: c.significant ? 'yes' : 'no' }, c.significant ? 'yes' : 'no'))),
        r.random ? h('tr', { class: 'muted' }, h('td', {}, 'random (null)'), h('td', {}, fmt(r.random.score)), h('td', {}, fmt(r.random.std)), h('td', {}, fmt(r.random.cavAccuracy)), h('td', {}), h('td', {}), h('td', {})) : null)),
    h('ul', { class: 'muted small' }, ...r.concepts.flatMap((c) => (c.warnings ?? []).map((w) => h('li', {}, `${c.name}: ${w}`)))));
}

// The ranking table (rank.json) and the TCAV table (tcav.json).
import { fmt, h } from './dom.js';

/** A verdict's mean and interval, and its star ('–' when the test was not run). */
const est = (t) => (t ? `${fmt(t.mean)} [${fmt(t.ciLow)} … ${fmt(t.ciHigh)}]` : '–');
const sigCell = (t) => h('td', { class: t?.significant ? 'yes' : 'no' }, t ? (t.significant ? 'yes' : 'no') : '–');

/** Maps sorted by rank; clicking a row picks the map. */
export function rankingTable(rank, onPick, current) {
  const rows = [...rank.groups].sort((a, b) => a.rank - b.rank);
  const conf = Math.round(100 * rank.settings.confidence);
  const head = ['rank', 'map', `marginal [${conf}% CI]`, 'q', 'sig.', `conditional [${conf}% CI]`, 'q', 'sig.', 'top-1 stab.', 'AUC'];
  return h(
    'div',
    {},
    h(
      'p',
      { class: 'muted small' },
      `Importance = rise in held-out Brier score when the map is replaced, on ${rank.nEval} ${rank.evaluation} cases (${rank.metric.toUpperCase()} ${fmt(rank.baselineScore)}). ` +
        'Marginal: the forest relies on the map. Conditional: the map carries label information that the other maps do not. q by Benjamini–Hochberg; sig. = q ≤ FDR and interval above 0.',
    ),
    ...(rank.warnings ?? []).map((w) => h('p', { class: 'muted small' }, `⚠ ${w}`)),
    h(
      'table',
      { class: 'ranking' },
      h('thead', {}, h('tr', {}, ...head.map((t) => h('th', {}, t)))),
      h(
        'tbody',
        {},
        ...rows.map((g) =>
          h(
            'tr',
            {
              'data-map': String(g.index),
              class: current() === g.index ? 'selected' : '',
              tabindex: '0',
              onclick: () => onPick(g.index),
              onkeydown: (e) => {
                if (e.key === 'Enter') onPick(g.index);
              },
            },
            h('td', {}, String(g.rank)),
            h('td', {}, g.name),
            h('td', {}, est(g.marginal)),
            h('td', {}, fmt(g.marginal?.qValue)),
            sigCell(g.marginal),
            h('td', {}, est(g.conditional)),
            h('td', {}, fmt(g.conditional?.qValue)),
            sigCell(g.conditional),
            h('td', {}, fmt(g.stability?.top1)),
            h('td', {}, fmt(g.univariateAuc)),
          ),
        ),
      ),
    ),
  );
}

/** The TCAV table of tcav.json's `result`. */
export function tcavTable(r) {
  if (!r.concepts.length) return h('p', { class: 'muted' }, 'tcav.json has no concepts.');
  const verdict = (c) => c.verdict;
  const cls = (v) => (v === 'significant' ? 'yes' : v === 'not determined' ? 'flag' : 'no');
  const test = `p: mean score against up to ${r.significance.randomConcepts} random concepts of the same size, Bonferroni at α = ${r.alpha}.`;
  return h(
    'div',
    {},
    h(
      'p',
      { class: 'muted small' },
      `target class ${r.targetClass}; ${r.runs} CAVs per concept against random sets; head ${r.head?.kind ?? '?'}${r.head?.heldOutAccuracy !== undefined ? ` (held-out acc. ${fmt(r.head.heldOutAccuracy)})` : ''}. ${test}`,
    ),
    h('p', { class: r.gate.passed ? 'muted small' : 'flag small' }, `Label head: ${r.gate.note}.${r.gate.passed ? '' : ' No verdicts.'}`),
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h('tr', {}, ...['concept', 'TCAV score', '± sd', 'CAV acc.', 'as extreme', 'p', 'p (Bonf.)', 'verdict'].map((t) => h('th', {}, t))),
      ),
      h(
        'tbody',
        {},
        ...r.concepts.map((c) =>
          h(
            'tr',
            {},
            h('td', { title: c.spec ?? '' }, c.name),
            h('td', {}, fmt(c.score)),
            h('td', {}, fmt(c.std)),
            h('td', {}, fmt(c.cavAccuracy)),
            h('td', {}, c.randomConcepts !== undefined ? `${c.asExtreme} / ${c.randomConcepts}` : '–'),
            h('td', {}, fmt(c.p)),
            h('td', {}, fmt(c.pBonferroni)),
            h('td', { class: cls(verdict(c)), title: c.reason ?? '' }, verdict(c)),
          ),
        ),
        r.random
          ? h(
              'tr',
              { class: 'muted' },
              h('td', {}, 'random vs random'),
              h('td', {}, fmt(r.random.score)),
              h('td', {}, fmt(r.random.std)),
              h('td', {}, fmt(r.random.cavAccuracy)),
              h('td', {}),
              h('td', {}),
              h('td', {}),
              h('td', {}),
            )
          : null,
      ),
    ),
    h('ul', { class: 'small' }, ...r.concepts.filter((c) => c.reason).map((c) => h('li', {}, `${c.name}: ${c.reason}`))),
    h('ul', { class: 'muted small' }, ...r.concepts.flatMap((c) => (c.warnings ?? []).map((w) => h('li', {}, `${c.name}: ${w}`)))),
  );
}

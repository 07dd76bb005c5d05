// A tiny element builder. Text always goes in through textContent: file data is never parsed as HTML.

/**
 * @param {string} tag
 * @param {Record<string, unknown>} [attrs] attributes; `on*` functions become listeners, `class` the class name
 * @param {...(Node | string | number | null | undefined | false)} children strings become text nodes
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), /** @type {EventListener} */ (v));
    else if (k === 'class') el.className = String(v);
    else if (k in el && typeof v !== 'string') /** @type {any} */ (el)[k] = v;
    else el.setAttribute(k, String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Formats a number for tables: 3 significant digits, '–' when missing. */
export function fmt(v, digits = 3) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '–';
  if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e4)) return v.toExponential(1);
  return Number(v.toPrecision(digits)).toString();
}

export function section(title, ...children) {
  return h('section', { class: 'card' }, h('h2', {}, title), ...children);
}

/** The label of case i as text ('' without labels). */
export function labelText(meta, i) {
  if (!meta.labels) return '';
  const l = meta.labels[i];
  return meta.classNames?.[l] ?? String(l);
}

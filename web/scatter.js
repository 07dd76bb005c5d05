// The embedding scatter (embed-<method>.json) on a canvas: coloured by label or by a map's mean
// activation, a thumbnail on hover, click to open the case.
import { enc, getJson, thumbUrl } from './api.js';
import { fmt, h, labelText } from './dom.js';

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const SIZE = 420;
const PAD = 14;

/** Blue-to-yellow ramp for t in 0..1 (a short viridis approximation). */
function ramp(t) {
  const stops = [
    [68, 1, 84],
    [59, 82, 139],
    [33, 145, 140],
    [94, 201, 98],
    [253, 231, 37],
  ];
  const x = Math.min(0.9999, Math.max(0, t)) * (stops.length - 1);
  const i = Math.floor(x),
    f = x - i;
  const c = stops[i].map((v, j) => Math.round(v + f * (stops[i + 1][j] - v)));
  return `rgb(${c.join(',')})`;
}

/** Axis limits robust to outliers: 1st..99th percentile widened by 5%, never beyond the data (robustLimits in src/embed/scatter.ts). */
function robustLimits(v) {
  const s = v.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return [0, 1];
  const at = (q) => s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))];
  const lo = at(0.01),
    hi = at(0.99),
    pad = 0.05 * (hi - lo);
  return [Math.max(s[0], lo - pad), Math.min(s[s.length - 1], hi + pad)];
}
const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));

export class Scatter {
  constructor(run, meta, onPick) {
    this.run = run;
    this.meta = meta;
    this.onPick = onPick;
    this.emb = null;
    this.colour = meta.labels ? 'label' : 'none';
    this.map = null;
    this.current = -1;
    this.canvas = h('canvas', { width: SIZE, height: SIZE, class: 'scatter', 'aria-label': 'embedding scatter' });
    this.tip = h('div', { class: 'tip', hidden: true });
    this.legend = h('div', { class: 'legend muted small' });
    this.methodSel = h('select', { 'aria-label': 'embedding', onchange: () => void this.loadMethod(this.methodSel.value) });
    this.colourSel = h(
      'select',
      {
        'aria-label': 'colour by',
        onchange: () => {
          this.colour = this.colourSel.value;
          void this.draw();
        },
      },
      meta.labels ? h('option', { value: 'label' }, 'colour by label') : null,
      h('option', { value: 'map' }, 'colour by selected map'),
      h('option', { value: 'none' }, 'no colour'),
    );
    this.root = h(
      'div',
      {},
      h('div', { class: 'toolbar' }, this.methodSel, this.colourSel),
      h('div', { class: 'scatter-box' }, this.canvas, this.tip),
      this.legend,
    );
    this.canvas.addEventListener('mousemove', (e) => this.hover(e));
    this.canvas.addEventListener('mouseleave', () => {
      this.tip.hidden = true;
    });
    this.canvas.addEventListener('click', (e) => {
      const p = this.nearest(e);
      if (p >= 0) this.onPick(this.emb.indices[p]);
    });
  }

  async load(methods) {
    if (!methods.length) {
      this.root.replaceChildren(h('p', { class: 'muted' }, `No embedding yet: run latentlens embed ${this.run}.`));
      return;
    }
    this.methodSel.replaceChildren(...methods.map((m) => h('option', { value: m }, m.toUpperCase())));
    await this.loadMethod(methods.includes('umap') ? 'umap' : methods[0]);
  }

  async loadMethod(m) {
    this.methodSel.value = m;
    const file = await getJson(`${enc(this.run)}/embed/${enc(m)}`); // an envelope (src/runs/run-file.ts)
    const e = file.result;
    const indices = file.inputs.indices;
    const xs = e.coords.map((p) => p[0]),
      ys = e.coords.map((p) => p[1]);
    // Robust limits: one far outlier no longer squashes the rest into a corner; outliers sit on the edge.
    const [x0, x1] = robustLimits(xs),
      [y0, y1] = robustLimits(ys);
    this.atEdge = xs.filter((x, i) => x < x0 || x > x1 || ys[i] < y0 || ys[i] > y1).length;
    this.palette = e.palette ?? 'categorical';
    const sx = (SIZE - 2 * PAD) / Math.max(x1 - x0, 1e-9),
      sy = (SIZE - 2 * PAD) / Math.max(y1 - y0, 1e-9);
    this.emb = {
      method: m,
      indices,
      trust: e.trustworthiness,
      px: xs.map((x) => PAD + (clamp(x, x0, x1) - x0) * sx),
      py: ys.map((y) => SIZE - PAD - (clamp(y, y0, y1) - y0) * sy),
    };
    await this.draw();
  }

  async colourByMap(k) {
    this.map = k;
    if (this.colour === 'map' || !this.meta.labels) {
      this.colour = 'map';
      this.colourSel.value = 'map';
    }
    await this.draw();
  }

  select(i) {
    this.current = i;
    void this.draw();
  }

  async colours() {
    const { indices } = this.emb;
    if (this.colour === 'label' && this.meta.labels) {
      const classes = [...new Set(this.meta.labels)].sort((a, b) => a - b);
      // Ordered classes (grades; embed recorded palette 'sequential') on a scale, others categorical.
      const k = Math.max(this.meta.classNames?.length ?? 0, classes.length ? classes[classes.length - 1] + 1 : 0);
      const colourOf =
        this.palette === 'sequential' ? (c) => ramp(k > 1 ? c / (k - 1) : 0) : (c) => PALETTE[classes.indexOf(c) % PALETTE.length];
      this.legend.replaceChildren(
        ...classes.map((c) => {
          // Through CSSOM, not a style attribute: the page's CSP forbids inline style attributes.
          const swatch = h('i');
          swatch.style.background = colourOf(c);
          return h('span', { class: 'key' }, swatch, this.meta.classNames?.[c] ?? `label ${c}`);
        }),
        this.atEdge ? ` · ${this.atEdge} outlying point${this.atEdge === 1 ? '' : 's'} at the edge` : '',
      );
      return indices.map((i) => colourOf(this.meta.labels[i]));
    }
    if (this.colour === 'map' && this.map !== null) {
      this.pooled ??= await getJson(`${enc(this.run)}/latents`);
      const { k, pooled, min, max } = this.pooled;
      const m = this.map;
      this.legend.replaceChildren(`map ${m} mean activation: ${fmt(min[m])} (purple) … ${fmt(max[m])} (yellow)`);
      return indices.map((i) => ramp((pooled[i * k + m] - min[m]) / Math.max(max[m] - min[m], 1e-9)));
    }
    this.legend.replaceChildren(this.colour === 'map' ? 'pick a map to colour by it' : '');
    return indices.map(() => '#4a6fa5');
  }

  async draw() {
    if (!this.emb) return;
    const cols = await this.colours();
    const g = this.canvas.getContext('2d');
    const { px, py, indices } = this.emb;
    g.clearRect(0, 0, SIZE, SIZE);
    g.globalAlpha = 0.75;
    for (let p = 0; p < px.length; p++) {
      g.fillStyle = cols[p];
      g.beginPath();
      g.arc(px[p], py[p], 2.6, 0, 2 * Math.PI);
      g.fill();
    }
    g.globalAlpha = 1;
    const cur = indices.indexOf(this.current);
    if (cur >= 0) {
      g.strokeStyle = '#000';
      g.lineWidth = 2;
      g.beginPath();
      g.arc(px[cur], py[cur], 6, 0, 2 * Math.PI);
      g.stroke();
    }
    g.fillStyle = '#555';
    g.fillText(`${this.emb.method.toUpperCase()} · trustworthiness ${fmt(this.emb.trust)}`, 6, 12);
  }

  nearest(e) {
    if (!this.emb) return -1;
    const r = this.canvas.getBoundingClientRect();
    const x = (e.clientX - r.left) * (SIZE / r.width),
      y = (e.clientY - r.top) * (SIZE / r.height);
    let best = -1,
      bd = 64;
    for (let p = 0; p < this.emb.px.length; p++) {
      const d = (this.emb.px[p] - x) ** 2 + (this.emb.py[p] - y) ** 2;
      if (d < bd) {
        bd = d;
        best = p;
      }
    }
    return best;
  }

  hover(e) {
    const p = this.nearest(e);
    if (p < 0) {
      this.tip.hidden = true;
      return;
    }
    const i = this.emb.indices[p];
    const label = labelText(this.meta, i);
    this.tip.replaceChildren(
      h('img', { src: thumbUrl(this.run, i, { scale: 2 }), alt: `case ${i}` }),
      h('div', {}, `#${i}${label ? ` · ${label}` : ''}`),
    );
    this.tip.style.left = `${this.emb.px[p] + 12}px`;
    this.tip.style.top = `${this.emb.py[p] + 12}px`;
    this.tip.hidden = false;
  }
}

// Live latent editing: one slider per map, starting at the case's pooled value; moving one shifts that
// map (keeping its spatial pattern) and the decoding is requested again, debounced, latest wins.
// Volumes: the input and its decoding are three orthogonal slices per channel (a row each, depth,
// height, width: the report's volume card), through one voxel that three more sliders move.
import { enc, getJson, postBlob, thumbUrl } from './api.js';
import { fmt, h, labelText } from './dom.js';

const DEBOUNCE_MS = 120;

export class LatentEditor {
  constructor(run, meta) {
    this.run = run;
    this.meta = meta;
    this.case = -1;
    this.base = [];
    this.version = 0;
    this.timer = 0;
    this.inflight = null;
    this.title = h('h3', {});
    this.input = h('img', { class: 'strip', alt: 'input channels' });
    this.decoded = h('img', { class: 'strip decoded', alt: 'decoding', 'data-version': '0' });
    // The voxel the slices of a volume go through (RunMeta.volume), the centre to begin with.
    this.at = meta.volume ? meta.shape.slice(1).map((d) => Math.floor(d / 2)) : null;
    this.axisCaptions = [];
    // RGB runs: the strips start with the colour composite (RunMeta.composite).
    this.captions = () => {
      if (!meta.volume)
        return h('div', { class: 'captions' }, ...[...(meta.composite ? ['RGB'] : []), ...meta.channels].map((c) => h('span', {}, c)));
      const spans = ['depth', 'height', 'width'].map(() => h('span', {}));
      this.axisCaptions.push(spans);
      return h('div', { class: 'captions' }, ...spans);
    };
    this.slicers = meta.volume ? this.sliceSliders() : null;
    this.sliders = h('div', { class: 'sliders' });
    this.note = h('p', { class: 'muted small' });
    this.root = h(
      'div',
      { class: 'editor' },
      this.title,
      h(
        'div',
        { class: 'strips' },
        h('figure', {}, this.input, this.captions(), h('figcaption', {}, 'input')),
        h('figure', {}, this.decoded, this.captions(), h('figcaption', {}, 'decoding of the edited latents')),
      ),
      meta.volume
        ? h(
            'p',
            { class: 'muted small' },
            `Each row one channel (${meta.channels.join(', ')}, top to bottom): slices across depth (an H x W plane), height (D x W) and width (D x H) through the voxel the sliders below choose.`,
          )
        : null,
      this.slicers,
      h('div', { class: 'toolbar' }, h('button', { onclick: () => this.reset() }, 'reset edits'), this.note),
      this.sliders,
    );
    if (meta.volume) this.showSliceCaptions();
  }

  async ranges() {
    this.stats ??= await getJson(`${enc(this.run)}/latents`);
    return this.stats;
  }

  async showCase(i) {
    this.case = i;
    const [lat, stats] = await Promise.all([getJson(`${enc(this.run)}/latents/${i}`), this.ranges()]);
    if (this.case !== i) return;
    this.base = lat.pooled;
    const label = labelText(this.meta, i);
    this.title.textContent = `case #${i}${label ? ` · label ${label}` : ''}${this.meta.ids ? ` · ${this.meta.ids[i]}` : ''}`;
    this.input.src = thumbUrl(this.run, i, this.imageParams());
    this.sliders.replaceChildren(
      ...this.base.map((v, k) => {
        const span = Math.max(stats.max[k] - stats.min[k], 1e-6);
        const lo = Math.min(stats.min[k], v) - 0.25 * span,
          hi = Math.max(stats.max[k], v) + 0.25 * span;
        const out = h('output', {}, fmt(v));
        const input = h('input', {
          type: 'range',
          min: lo,
          max: hi,
          step: (hi - lo) / 400,
          value: v,
          'data-map': String(k),
          'aria-label': `map ${k}`,
          oninput: () => {
            out.textContent = fmt(Number(input.value));
            this.schedule();
          },
        });
        // The slider snaps the case's value to its step; that snapped start is what counts as "unedited".
        input.dataset.start = input.value;
        return h('label', { class: 'slider', 'data-map': String(k) }, h('span', { class: 'name' }, `map ${k}`), input, out);
      }),
    );
    if (this.focused !== undefined) this.focusMap(this.focused);
    this.schedule(0);
  }

  /** Query parameters of the case's images: a volume's voxel `at=z,y,x`, else none. */
  imageParams() {
    return this.at ? { at: this.at.join(',') } : {};
  }

  /** Three sliders (z, y, x) moving the voxel the slices of a volume go through. */
  sliceSliders() {
    const names = ['depth z', 'height y', 'width x'];
    const rows = this.meta.shape.slice(1).map((d, a) => {
      const out = h('output', {}, String(this.at[a]));
      const input = h('input', {
        type: 'range',
        min: 0,
        max: d - 1,
        step: 1,
        value: this.at[a],
        'data-axis': String(a),
        'aria-label': `slice ${names[a]}`,
        oninput: () => {
          this.at[a] = Number(input.value);
          out.textContent = input.value;
          this.showSlices();
        },
      });
      return h('label', { class: 'slider slice-pos' }, h('span', { class: 'name' }, names[a]), input, out);
    });
    this.showSliceCaptions();
    return h('div', { class: 'sliders slice-sliders' }, ...rows);
  }

  showSliceCaptions() {
    const [z, y, x] = this.at;
    const text = [`depth, z = ${z}`, `height, y = ${y}`, `width, x = ${x}`];
    for (const spans of this.axisCaptions) spans.forEach((s, a) => (s.textContent = text[a]));
  }

  showSlices() {
    this.showSliceCaptions();
    if (this.case < 0) return;
    this.input.src = thumbUrl(this.run, this.case, this.imageParams());
    this.schedule();
  }

  focusMap(k) {
    this.focused = k;
    for (const s of this.sliders.querySelectorAll('.slider')) s.classList.toggle('selected', Number(s.dataset.map) === k);
    const row = this.sliders.querySelector(`.slider[data-map="${k}"]`);
    if (row) this.sliders.prepend(row);
  }

  edits() {
    const out = [];
    for (const input of this.sliders.querySelectorAll('input[type=range]')) {
      if (input.value !== input.dataset.start) out.push({ map: Number(input.dataset.map), value: Number(input.value) });
    }
    return out;
  }

  reset() {
    for (const input of this.sliders.querySelectorAll('input[type=range]')) {
      input.value = input.dataset.start;
      input.dispatchEvent(new Event('input'));
    }
  }

  schedule(delay = DEBOUNCE_MS) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.decode(), delay);
  }

  async decode() {
    this.inflight?.abort();
    const ctl = new AbortController();
    this.inflight = ctl;
    const edits = this.edits();
    try {
      const blob = await postBlob(`${enc(this.run)}/decode`, { case: this.case, edits }, ctl.signal, this.imageParams());
      if (ctl.signal.aborted) return;
      const old = this.decoded.src;
      this.decoded.src = URL.createObjectURL(blob);
      if (old.startsWith('blob:')) URL.revokeObjectURL(old);
      // The version changes only once the new pixels can be drawn, so watchers never see a half state.
      await this.decoded.decode().catch(() => {});
      this.decoded.dataset.version = String(++this.version);
      this.note.textContent = edits.length
        ? `${edits.length} map${edits.length > 1 ? 's' : ''} edited`
        : 'no edits: the plain reconstruction';
    } catch (err) {
      if (err.name !== 'AbortError') this.note.textContent = `decode failed: ${err.message}`;
    }
  }
}

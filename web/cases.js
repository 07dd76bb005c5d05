// The case browser: a paged grid of thumbnails (every input channel; RGB runs: their colour composite first) with labels, filterable by label.
import { thumbUrl } from './api.js';
import { h, labelText } from './dom.js';

const PAGE = 48;

export class CaseGrid {
  constructor(run, meta, onPick) {
    this.run = run;
    this.meta = meta;
    this.onPick = onPick;
    this.page = 0;
    this.filter = 'all';
    this.current = -1;
    this.list = h('div', { class: 'thumbs' });
    this.pager = h('span', { class: 'muted' });
    const classes = meta.labels ? [...new Set(meta.labels)].sort((a, b) => a - b) : [];
    const select = h(
      'select',
      {
        'aria-label': 'label filter',
        onchange: (e) => {
          this.filter = e.target.value;
          this.page = 0;
          this.render();
        },
      },
      h('option', { value: 'all' }, 'all labels'),
      ...classes.map((c) => h('option', { value: String(c) }, meta.classNames?.[c] ?? `label ${c}`)),
    );
    this.root = h(
      'div',
      {},
      h(
        'div',
        { class: 'toolbar' },
        classes.length ? select : null,
        h(
          'button',
          {
            onclick: () => {
              this.page = Math.max(0, this.page - 1);
              this.render();
            },
          },
          '◀',
        ),
        this.pager,
        h(
          'button',
          {
            onclick: () => {
              this.page = Math.min(this.pages() - 1, this.page + 1);
              this.render();
            },
          },
          '▶',
        ),
      ),
      this.list,
    );
  }

  cases() {
    const all = Array.from({ length: this.meta.n }, (_, i) => i);
    return this.filter === 'all' ? all : all.filter((i) => String(this.meta.labels[i]) === this.filter);
  }

  pages() {
    return Math.max(1, Math.ceil(this.cases().length / PAGE));
  }

  async load() {
    this.render();
  }

  render() {
    const cases = this.cases();
    this.pager.textContent = `page ${this.page + 1} of ${this.pages()} (${cases.length} cases)`;
    this.list.replaceChildren(
      ...cases.slice(this.page * PAGE, (this.page + 1) * PAGE).map((i) =>
        h(
          'button',
          {
            class: `thumb${i === this.current ? ' selected' : ''}`,
            'data-case': String(i),
            title: `case ${i}`,
            onclick: () => this.onPick(i),
          },
          h('img', { src: thumbUrl(this.run, i, { scale: 2 }), alt: `case ${i}`, loading: 'lazy' }),
          h('span', {}, `#${i} ${labelText(this.meta, i)}`),
        ),
      ),
    );
  }

  select(i) {
    this.current = i;
    for (const b of this.list.querySelectorAll('.thumb')) b.classList.toggle('selected', Number(b.dataset.case) === i);
  }
}

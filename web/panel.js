// One run's column: header, cases, the case editor, ranking, the selected map's heatmaps, embedding, TCAV.
import { enc, getJson } from './api.js';
import { h, section } from './dom.js';
import { CaseGrid } from './cases.js';
import { LatentEditor } from './editor.js';
import { rankingTable, tcavTable } from './tables.js';
import { mapView } from './explain.js';
import { Scatter } from './scatter.js';

/** The study-design warnings of rank.json (`design.warnings`: few subjects, a split across subjects, a confounded label), or nothing. */
function designWarnings(rank) {
  const w = rank?.design?.warnings ?? [];
  return w.length ? h('ul', { class: 'design-warnings small' }, ...w.map((x) => h('li', {}, `Study design: ${String(x)}`))) : null;
}

/** A decoder run's line: its decoder kind and PSNR next to the conv decoder's (src/runs/run-decoder.ts). */
function decoderLine(c) {
  const db = (s) => (s ? `${s.psnr.toFixed(2)} dB` : 'not recorded');
  return h(
    'p',
    { class: 'muted small decoder' },
    c.joint
      ? `decoder: ${c.kind}, trained jointly with its encoder (diffusion loss alone); reconstruction PSNR ${db(c.decoder)}. ${c.notes.join('; ')}`
      : `decoder: ${c.kind} on the frozen encoder of ${c.from}; reconstruction PSNR ${db(c.decoder)} (conv decoder ${db(c.conv)}). ${c.notes.join('; ')}`,
  );
}

/** The health check (health.json): a banner when the model failed it, a note when it was not recorded. */
function healthBanner(health) {
  if (!health)
    return h(
      'p',
      { class: 'health-banner unknown small' },
      'Model health not recorded (no health.json): run any analysis (e.g. latentlens rank) to record it.',
    );
  if (health.passed) return null;
  return h(
    'div',
    { class: 'health-banner failed', role: 'alert' },
    h('strong', {}, 'This model failed the health check: '),
    String(health.warning ?? '').replace(/^WARNING: /, ''),
    h('ul', {}, ...(health.reasons ?? []).map((r) => h('li', {}, String(r)))),
  );
}

export class RunPanel {
  constructor(info, shared, compact) {
    this.info = info;
    this.id = info.id;
    this.shared = shared;
    this.map = null;
    this.root = h('div', { class: 'panel', 'data-run': info.id });
    this.onShared = (i) => this.showCase(i, false);
    shared.listeners.add(this.onShared);
    this.compact = compact;
  }

  async load() {
    // Only files the run list says exist are asked for: an analysis not run yet is not an error.
    const files = this.info.files ?? {};
    // An analysis file the server refuses (another version: it says what to re-run) is shown as such, not as absent.
    const maybe = (name) => (files[name] ? getJson(`${enc(this.id)}/${name}`).catch((err) => ({ unreadable: err.message })) : null);
    const [meta, config, rankFile, tcavFile, health] = await Promise.all([
      getJson(`${enc(this.id)}/meta`),
      maybe('config'),
      maybe('rank'),
      maybe('tcav'),
      maybe('health'),
    ]);
    const unreadable = (f) => h('p', { class: 'flag small' }, `Unreadable: ${f.unreadable}`);
    // rank.json and tcav.json are envelopes {format, version, created, inputs, settings, result} (src/runs/run-file.ts).
    const rank = rankFile?.result ?? null;
    // A decoder run (train-decoder): its decoder's PSNR beside the conv decoder's of the encoder run; a
    // joint diffusion autoencoder (train --model diffusion-ae): its own.
    const decoder = config?.decoder || config?.model?.joint ? await getJson(`${enc(this.id)}/decoder`).catch(() => null) : null;
    this.meta = meta;
    this.rank = rank;
    const d = config?.data;
    this.root.append(
      h(
        'div',
        { class: 'run-head' },
        h('h2', {}, this.id),
        h(
          'p',
          { class: 'muted' },
          `${meta.modelKind} · ${meta.k} maps of ${meta.grid.join('x')} · ${meta.n} ${meta.volume ? 'volumes' : 'cases'} of ${meta.shape.join('x')} (${meta.channels.join(', ')})`,
        ),
        d ? h('p', { class: 'muted small' }, `data: ${config.dataSpec ?? d.source}`) : null,
        decoder ? decoderLine(decoder) : null,
        healthBanner(health),
      ),
    );

    this.editor = new LatentEditor(this.id, meta);
    this.grid = new CaseGrid(this.id, meta, (i) => this.showCase(i, true));
    this.mapBox = h('div', { class: 'map-view' }, h('p', { class: 'muted' }, 'Pick a map in the ranking table.'));
    this.scatter = new Scatter(this.id, meta, (i) => this.showCase(i, true));

    this.root.append(
      section('Cases', this.grid.root),
      section('Case and live decoding', this.editor.root),
      section(
        'Map ranking',
        designWarnings(rank),
        rankFile?.unreadable
          ? unreadable(rankFile)
          : rank
            ? rankingTable(
                rank,
                (k) => this.pickMap(k),
                () => this.map,
              )
            : h('p', { class: 'muted' }, `No rank.json yet: run latentlens rank ${this.id}.`),
      ),
      section('Selected map', this.mapBox),
      section('Embedding', this.scatter.root),
      section(
        'TCAV',
        tcavFile?.unreadable
          ? unreadable(tcavFile)
          : tcavFile
            ? tcavTable(tcavFile.result)
            : h('p', { class: 'muted' }, 'No tcav.json yet: run latentlens tcav.'),
      ),
    );
    await Promise.all([this.grid.load(), this.scatter.load(this.info.files?.embed ?? [])]);
    await this.showCase(this.shared.value, false);
    const top = rank?.ranking?.[0];
    if (typeof top === 'number') await this.pickMap(top);
  }

  async showCase(i, broadcast) {
    if (!this.meta || i >= this.meta.n) return;
    this.grid.select(i);
    this.scatter.select(i);
    if (broadcast) this.shared.set(i, this.onShared);
    await this.editor.showCase(i);
  }

  async pickMap(k) {
    this.map = k;
    for (const tr of this.root.querySelectorAll('tr[data-map]')) tr.classList.toggle('selected', Number(tr.dataset.map) === k);
    this.editor.focusMap(k);
    this.scatter.colourByMap(k);
    const ex = (this.info.files?.explain ?? []).includes(k) ? ((await getJson(`${enc(this.id)}/explain/${k}`))?.result ?? null) : null;
    this.mapBox.replaceChildren(mapView(this.id, k, ex, this.rank, this.meta));
  }
}

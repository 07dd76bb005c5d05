// The self-contained HTML report of a run folder (DESIGN.md "Layers": report/ only reads the run's
// files; the images it renders itself — sample cases, reconstructions, exemplars — come from the run's
// data spec and weights, never from re-running an analysis). Every image is a data: URI and every chart
// an inline SVG, and a Content-Security-Policy forbids any fetch, so the file works offline and shows
// nothing from outside even if a run file carries markup.
import { join, resolve } from 'node:path';
import { isVolumeDataset, type CaseDataset, type ImageDataset } from '../data/types.js';
import { writeRunFile } from '../util/run-paths.js';
import { casesPng, loadRunDataset, reconstructions, sampleImages } from './case-images.js';
import { reconstructVolumes, sampleVolumes } from './case-volumes.js';
import { isVolumeExplanation, volumeMapCard } from './sections/map-volume.js';
import { esc, healthBanner, notComputed, pngImg, section, type Section } from './html.js';
import { readRunFiles, type RunFiles } from './run-files.js';
import { embedSection, metricsSection, tcavSection } from './sections/analyses.js';
import { dataSection, reconstructionSection, type Maybe } from './sections/data.js';
import { mapCard, type ExemplarRenderer } from './sections/map-card.js';
import { methodsSection } from './sections/methods.js';
import { rankingSection } from './sections/ranking.js';
import { trainingSection } from './sections/training.js';
import { STYLE } from './style.js';

export interface ReportOptions {
  /** Render sample cases, reconstructions and exemplars from the run's data spec and weights. Default true. */
  images?: boolean;
  /** Sample cases shown per class. Default 6. */
  samplesPerClass?: number;
  /** Held-out cases reconstructed. Default 8. */
  reconstructions?: number;
  /** Page title. Default: "latentlens report: <run folder name>". */
  title?: string;
}

const fail = (err: unknown): { ok: false; reason: string } => ({ ok: false, reason: (err as Error).message ?? String(err) });

async function attempt<T>(fn: () => Promise<T>): Promise<Maybe<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    return fail(err);
  }
}

function exemplarRenderer(dataset: Maybe<ImageDataset>): ExemplarRenderer {
  return async (cases, which) => {
    if (!dataset.ok || !cases.length) return null;
    const d = dataset.value;
    // Exemplar indices refer to the cases the analysis loaded; show them only when they are provably the same cases.
    const same = cases.every((c) => c.index >= 0 && c.index < d.shape[0] && (c.id === undefined || d.ids?.[c.index] === c.id));
    if (!same) return null;
    return pngImg(
      await casesPng(
        d,
        cases.map((c) => c.index),
      ),
      `${which}-activating cases`,
    );
  };
}

async function explainedSection(files: RunFiles, dataset: Maybe<ImageDataset>): Promise<Section> {
  const id = 'maps',
    title = 'Explained maps';
  if (!files.explains.length)
    return {
      id,
      title,
      body: notComputed('explanations of individual maps (explain/map-<k>.json)', `latentlens explain ${files.dir} --map top`),
    };
  const render = exemplarRenderer(dataset);
  const cards: string[] = [];
  for (const e of files.explains)
    cards.push(
      e.read.status === 'ok' && isVolumeExplanation(e.read.value.result)
        ? volumeMapCard(files.dir, e.read.value.result)
        : await mapCard(files, e, render),
    );
  let lead = `<p>${files.explains.length} map(s) explained: ${files.explains.map((e) => `<a href="#map-${e.map}">map ${e.map}</a>`).join(', ')}.</p>`;
  if (files.rank.status === 'ok') {
    const done = new Set(files.explains.map((e) => e.map));
    const pending = files.rank.value.result.groups.filter((g) => g.marginal?.significant && !done.has(g.index));
    if (pending.length)
      lead += `<p class="note">Significant maps without a card: ${pending.map((g) => esc(g.name)).join(', ')} (<code>latentlens explain ${esc(files.dir)} --map ${pending[0]!.index}</code>).</p>`;
  }
  return { id, title, body: lead + cards.join('') };
}

/** The report of the run folder `runDir` as one self-contained HTML string. */
export async function buildReport(runDir: string, options: ReportOptions = {}): Promise<string> {
  const files = readRunFiles(runDir);
  const images = options.images ?? true;
  const dataset: Maybe<CaseDataset> = images
    ? await attempt(() => loadRunDataset(files.config.dataSpec))
    : { ok: false, reason: 'image rendering was turned off' };
  const perClass = options.samplesPerClass ?? 6,
    count = options.reconstructions ?? 8;
  const samples = dataset.ok
    ? await attempt(() => (isVolumeDataset(dataset.value) ? sampleVolumes(dataset.value, perClass) : sampleImages(dataset.value, perClass)))
    : { ok: false as const, reason: dataset.reason };
  const recon = dataset.ok
    ? await attempt(() =>
        isVolumeDataset(dataset.value) ? reconstructVolumes(runDir, dataset.value, count) : reconstructions(runDir, dataset.value, count),
      )
    : { ok: false as const, reason: dataset.reason };
  // Exemplar strips are 2D images; a volume card shows its own slice figures.
  const images2d: Maybe<ImageDataset> =
    dataset.ok && isVolumeDataset(dataset.value) ? { ok: false, reason: 'the cases are volumes' } : (dataset as Maybe<ImageDataset>);
  const sections: Section[] = [
    dataSection(files, dataset, samples),
    await trainingSection(files),
    reconstructionSection(recon),
    await rankingSection(files),
    await explainedSection(files, images2d),
    await tcavSection(files, dataset.ok ? dataset.value.classNames : undefined),
    await embedSection(files),
    metricsSection(files),
    methodsSection(),
  ];
  const name = resolve(runDir).split(/[\\/]/).pop() ?? runDir;
  const title = options.title ?? `latentlens report: ${name}`;
  return (
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">' +
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title><style>${STYLE}</style></head><body>` +
    `<header><h1>${esc(title)}</h1><p>Run folder <code>${esc(resolve(runDir))}</code>; ${esc(files.config.model.kind)} ${files.config.imported ? 'imported' : 'trained'} ${esc(files.config.created)}; report written ${esc(new Date().toISOString())} by latentlens ${esc(files.config.versions.latentlens)}.</p></header>` +
    healthBanner(files.health) +
    `<nav>${sections.map((s) => `<a href="#${esc(s.id)}">${esc(s.title)}</a>`).join('')}</nav>` +
    `<main>${sections.map(section).join('\n')}</main></body></html>\n`
  );
}

/** Writes `<runDir>/report.html` atomically and returns its path. */
export async function writeReport(runDir: string, options: ReportOptions = {}): Promise<string> {
  const html = await buildReport(runDir, options);
  const out = join(runDir, 'report.html');
  writeRunFile(runDir, 'report.html', html);
  return out;
}

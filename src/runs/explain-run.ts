// explainRun: what one latent map of a run encodes and what drives it: attribution per input channel
// and region (with controls), decoder effects and entanglement, traversals, activation maximisation.
// Writes explain/map-<k>.json (one envelope, run-file.ts) and the figures in figures/map-<k>/. A 3D
// run goes to explain-volumes-run.ts.
import { existsSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { explainMap, type ExplainResult } from '../explain/explain-map.js';
import {
  attributionFigureName,
  compositeStripPng,
  OUTLINE_COLOURS,
  overlayPng,
  stripPng,
  TRAVERSAL_COMPOSITE_FIGURE,
  traversalFigureName,
} from '../explain/figures.js';
import { ATTRIBUTION_METHOD_NAMES as METHODS, isAttributionMethod } from '../explain/attribution/methods.js';
import { resolveTarget, targetRecord } from '../data/target.js';
import { rgbChannels } from '../util/png.js';
import { mkdirInRun, writeRunFile } from '../util/run-paths.js';
import { loadRunData, type RunData } from './run-data.js';
import { isVolumeDataset } from '../data/types.js';
import { explainVolumesRun, type VolumeExplainFile } from './explain-volumes-run.js';
import { runDesign, runNuisance } from './run-design.js';
import { designSummary } from '../explain/design.js';
import { healthSummary } from './run-health.js';
import { readRunEnvelope, writeRunEnvelope, type RunFileEnvelope, type RunInputs } from './run-file.js';
import type { RankFile } from './rank-run.js';
import { formatQ } from '../explain/importance/meaning.js';
import { logOf, type RunLog } from './run-log.js';
import { defined } from './run-options.js';
import { EXPLAIN_DEFAULTS, type ExplainRunOptions, type ExplainSettings } from './explain-options.js';

export type { ExplainRunOptions, ExplainSettings } from './explain-options.js';

/** explain/map-<k>.json of a 2D run: the ExplainResult without figure data, plus figure paths relative to the run folder. */
export type ExplainFileResult = Omit<ExplainResult, 'figureData'> & {
  figures: string[];
  /** Ground-truth masks outlined on the overlays, with their colours. */
  figureOutlines: { mask: string; colour: string }[];
};
export type ExplainFile = RunFileEnvelope<ExplainFileResult, RunInputs, ExplainSettings>;

/** rank.json of the run, read once: absent, unreadable (with why), or its envelope. */
export type RankRead = { path: string; value?: RankFile; error?: Error };

function readRank(dir: string): RankRead {
  const path = join(dir, 'rank.json');
  if (!existsSync(path)) return { path };
  try {
    return { path, value: readRunEnvelope('rank', path) };
  } catch (err) {
    return { path, error: err as Error };
  }
}

function resolveMap(dir: string, map: number | 'top', rank: RankRead): number {
  if (map !== 'top') {
    if (!(Number.isInteger(map) && map >= 0)) throw new Error(`--map ${map}: expected a map index (a whole number >= 0) or 'top'`);
    return map;
  }
  if (rank.error) throw rank.error;
  if (!rank.value) throw new Error(`--map top needs ${rank.path}: run \`latentlens rank ${dir}\` first`);
  const k: unknown = rank.value.result.ranking?.[0];
  // The index becomes a file name (explain/map-<k>.json, figures/map-<k>/): nothing but a whole number.
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 0)
    throw new Error(`${rank.path}: ranking[0] is not a map index (${JSON.stringify(k)})`);
  return k;
}

/** One sentence on the map's rank.json verdicts, or null without a rank.json that has the map. */
export function rankVerdictNote(map: number, rank: RankRead): string | null {
  if (rank.error) return `rank.json could not be read (${rank.error.message}): the map's verdict is not known`;
  const g = rank.value?.result.groups?.[map];
  if (!g?.marginal) return null;
  const fdr = rank.value?.settings?.fdr ?? 0.05;
  // A q at or below the level with no star puzzles a reader: the interval is the other half of the verdict.
  const test = (name: string, t: { qValue: number; significant: boolean; ciLow?: number; ciHigh?: number }) =>
    `${name} q ${formatQ(t.qValue)}${
      !t.significant && t.qValue <= fdr && t.ciLow !== undefined && t.ciLow <= 0
        ? ` but its 95% interval [${t.ciLow.toFixed(4)}, ${t.ciHigh!.toFixed(4)}] reaches 0`
        : ''
    }`;
  const verdicts = `${test('marginal', g.marginal)}${g.conditional ? `, ${test('conditional', g.conditional)}` : ''}`;
  // A small q alone is not the verdict (the interval must also lie above 0), so name the tests that flagged it.
  const which = [g.marginal.significant ? 'marginally' : null, g.conditional?.significant ? 'conditionally' : null].filter(
    (w) => w !== null,
  );
  if (which.length > 0) {
    const not = g.conditional && !g.conditional.significant ? ', not conditionally' : !g.marginal.significant ? ', not marginally' : '';
    return `rank.json: map ${map} is significant ${which.join(' and ')}${not} (${verdicts}; rank ${g.rank})`;
  }
  return `rank.json: map ${map} is not significant (${verdicts}; rank ${g.rank}): what follows describes the map, not evidence that it predicts the label`;
}

export async function explainRun(
  dir: string,
  options: ExplainRunOptions,
  out: RunLog = {},
): Promise<{ file: ExplainFile | VolumeExplainFile; path: string; figures: number }> {
  const log = logOf(out);
  const bad = options.methods?.filter((m) => !isAttributionMethod(m));
  if (bad?.length) throw new Error(`--methods: unknown ${bad.join(', ')} (one of ${METHODS.join(', ')})`);
  const methods = options.methods?.filter(isAttributionMethod);
  const rank = readRank(dir);
  const map = resolveMap(dir, options.map, rank);
  const { map: _asked, data, split: _split, target: _target, ...rest } = options;
  const s: ExplainSettings = { ...EXPLAIN_DEFAULTS, ...defined(rest), map };
  const split = options.split ?? 'all';
  const loaded = await loadRunData(dir, { data, split, maxCases: s.maxCases, volumes: true, command: 'explain', log });
  try {
    const note = rankVerdictNote(map, rank);
    if (isVolumeDataset(loaded.data))
      return await explainVolumesRun(dir, loaded, s, { split, target: options.target, notes: note ? [note] : [] }, out);
    const rd = loaded as RunData; // 2D images (isVolumeDataset narrows rd.data, not rd): the full explanation
    const target = rd.labels || options.target !== undefined ? resolveTarget(options.target, rd.data, rd.indices) : undefined;
    if (target) log(`target: ${target.description}`);
    // Study design, and nuisance statistics to match each explained case with its reference case.
    const nuisance = runNuisance(rd);
    const design = await runDesign(rd, {
      labels: target?.labels,
      classNames: target?.classNames,
      dir,
      ...(target ? { target: target.expression } : {}),
      nuisance,
      splitOptions: { seed: s.seed },
    });
    const t0 = performance.now();
    const r = explainMap(
      {
        model: rd.run.model,
        x: rd.x,
        channelNames: rd.data.channelNames,
        labels: target?.labels,
        masks: rd.masks,
        ids: rd.data.ids && Array.from(rd.indices, (i) => rd.data.ids![i]!),
        nuisance,
        design,
      },
      {
        map,
        methods,
        maxCases: s.cases,
        seed: s.seed,
        ...(s.figureCases ? { figureCases: s.figureCases } : {}),
        ...(target ? { positiveClass: target.positiveClass } : {}),
        onProgress: (m) => out.progress?.log(`[${((performance.now() - t0) / 1000).toFixed(1)} s] ${m}`),
      },
    );
    // What rank.json says of this map leads the notes: an explanation of a map that does not predict the
    // label describes the map, not evidence about the label.
    if (note) r.conclusion.notes.unshift(note);
    // Every output stays inside the run folder (names from its files are not trusted: src/util/run-paths.ts).
    mkdirInRun(dir, 'explain');
    const figDir = mkdirInRun(dir, join('figures', `map-${map}`));
    const outlines = (rd.masks ?? []).slice(0, OUTLINE_COLOURS.length).map((m, j) => ({ ...m, colour: OUTLINE_COLOURS[j]! }));
    const figures = await writeFigures(r, dir, figDir, rd.data.channelNames, rd.data.shape[2], rd.data.shape[3], outlines);
    const { figureData: _omit, ...json } = r;
    void _omit;
    const { envelope, path } = writeRunEnvelope(dir, join('explain', `map-${map}.json`), 'explain', {
      inputs: {
        run: dir,
        data: rd.dataSpec,
        split,
        cases: rd.indices.length,
        ...(target ? { target: targetRecord(target) } : {}),
        health: healthSummary(rd.health),
      },
      settings: s,
      result: {
        ...json,
        figureOutlines: outlines.map((m) => ({ mask: m.name, colour: m.colour.name })),
        figures: figures.map((p) => relative(resolve(dir), p).split(sep).join('/')),
      },
    });
    log(
      `map ${map}: input channel ${r.conclusion.inputChannel ?? 'not determined'}; decoder ${r.conclusion.decoderEntangled ? 'entangled' : 'specific'} (${r.decoder.entanglement.map.toFixed(2)})`,
    );
    for (const n of r.conclusion.notes) log(`  - ${n}`);
    if (r.cases.explainedSelection) log(`explained: ${r.cases.explained.length} cases, ${r.cases.explainedSelection}`);
    const sel = r.cases.referenceSelection;
    if (sel && sel.method !== 'none')
      log(
        `reference: ${r.cases.reference.length} cases, ${sel.method === 'matched' ? `matched on ${sel.statistics.join(', ')} (mean distance ${sel.meanDistance!.toFixed(2)}, random pairs ${sel.randomMeanDistance!.toFixed(2)})` : 'a seeded random sample'}`,
      );
    if (r.figureCases)
      log(
        `figures: cases ${r.figureCases.cases.join(', ')} (${r.figureCases.rule})${outlines.length ? `; ground truth outlined: ${outlines.map((m) => `${m.name} ${m.colour.name}`).join(', ')}` : ''}`,
      );
    for (const line of designSummary(design)) log(line);
    log(`-> ${join(dir, 'explain', `map-${map}.json`)} and ${figures.length} figures in ${join(dir, 'figures', `map-${map}`)}`);
    return { file: envelope, path, figures: figures.length };
  } finally {
    loaded.x.dispose();
    loaded.run.model.dispose();
  }
}

type Outline = { name: string; data: Uint8Array; colour: (typeof OUTLINE_COLOURS)[number] };

/**
 * Writes the figure PNGs into `dir` (inside run folder `run`), named by method, case and channel index:
 * overlays of the figure cases (r.figureCases) with each ground-truth mask outlined; returns their absolute paths.
 */
async function writeFigures(
  r: ReturnType<typeof explainMap>,
  run: string,
  dir: string,
  channels: string[],
  h: number,
  w: number,
  outlines: Outline[],
): Promise<string[]> {
  const fd = r.figureData!;
  const written: string[] = [];
  const c = channels.length;
  const hw = h * w;
  for (const [method, a] of Object.entries(fd.attributions)) {
    // Channel occlusion gives one number per channel: an overlay would be a flat colour, its shares are in the JSON.
    if (method === 'channel-occlusion') continue;
    for (const i of fd.figurePositions) {
      const index = r.cases.explained[i]!;
      const masks = outlines.map((m) => ({ mask: m.data.subarray(index * hw, (index + 1) * hw), rgb: m.colour.rgb }));
      for (let ch = 0; ch < c; ch++) {
        const off = (i * c + ch) * hw;
        const p = join(dir, attributionFigureName(method, index, ch, channels[ch]!));
        written.push(
          writeRunFile(
            run,
            p,
            await overlayPng(fd.explained.subarray(off, off + hw), a!.heatmaps.subarray(off, off + hw), h, w, { outlines: masks }),
          ),
        );
      }
    }
  }
  const [q, n] = fd.traversal.shape;
  for (let ch = 0; ch < c; ch++) {
    const frames = Array.from({ length: q }, (_, s) => fd.traversal.images.subarray((s * n * c + ch) * hw, (s * n * c + ch + 1) * hw));
    const p = join(dir, traversalFigureName(ch, channels[ch]!));
    written.push(writeRunFile(run, p, await stripPng(frames, h, w)));
  }
  // RGB data: the traversal as colour composites too, and the activation maximisation's composite before its channels.
  const rgb = rgbChannels(channels);
  if (rgb) {
    const frames = Array.from(
      { length: q },
      (_, s) =>
        rgb.map((ch) => fd.traversal.images.subarray((s * n * c + ch) * hw, (s * n * c + ch + 1) * hw)) as [
          Float32Array,
          Float32Array,
          Float32Array,
        ],
    );
    written.push(writeRunFile(run, join(dir, TRAVERSAL_COMPOSITE_FIGURE), await compositeStripPng(frames, h, w)));
  }
  if (fd.activationMax) {
    const frames = channels.map((_, ch) => fd.activationMax!.subarray(ch * hw, (ch + 1) * hw));
    const png = rgb
      ? await compositeStripPng([rgb.map((ch) => frames[ch]!) as [Float32Array, Float32Array, Float32Array]], h, w, frames)
      : await stripPng(frames, h, w);
    written.push(writeRunFile(run, join(dir, 'activation-max.png'), png));
  }
  return written;
}

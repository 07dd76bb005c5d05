// `latentlens explain <run> --map <k|top>`: writes explain/map-<k>.json and PNG figures (per input channel:
// attribution overlays of the first cases, the traversal, the activation-maximising input).
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import type { Command } from 'commander';
import { explainMap } from '../explain/explain-map.js';
import { attributionFigureName, compositeStripPng, FIGURE_CASES, OUTLINE_COLOURS, overlayPng, stripPng, TRAVERSAL_COMPOSITE_FIGURE, traversalFigureName } from '../explain/figures.js';
import { ATTRIBUTION_METHOD_NAMES as METHODS, isAttributionMethod } from '../explain/attribution/methods.js';
import { resolveTarget, targetRecord } from '../data/target.js';
import { writeJsonAtomic } from '../util/atomic-write.js';
import { rgbChannels } from '../util/png.js';
import { insideRun, mkdirInRun, writeRunFile } from '../util/run-paths.js';
import { loadRunData, type RunData } from '../runs/run-data.js';
import { isVolumeDataset } from '../data/types.js';
import { explainVolumes } from './explain-volumes.js';
import { runDesign, runNuisance } from '../runs/run-design.js';
import { designSummary } from '../explain/design.js';
import { healthSummary } from '../runs/run-health.js';
import { indexListFlag, positiveIntFlag as atLeast, wholeNumberFlag as whole } from './flags.js';
import { StageProgress } from '../util/progress.js';
import type { RankResult } from '../explain/importance/types.js';
import { checkRunFile } from '../runs/run-file-format.js';
import { formatQ } from './rank.js';

interface ExplainFlags { map: string; methods?: string; cases: number; figureCases?: number[]; data?: string; split: 'train' | 'val' | 'test' | 'all'; seed: number; maxCases: number; target?: string; occlusionWindow?: number; occlusionStride?: number }


/** rank.json of the run, read once: absent, unreadable (with why), or its parsed value. */
type RankRead = { path: string; value?: RankResult; error?: Error };

function readRank(dir: string): RankRead {
  const path = join(dir, 'rank.json');
  if (!existsSync(path)) return { path };
  try {
    const value: unknown = JSON.parse(readFileSync(path, 'utf8'));
    checkRunFile('rank', value, path);
    return { path, value: value as RankResult };
  } catch (err) {
    return { path, error: err as Error };
  }
}

function resolveMap(dir: string, map: string, rank: RankRead): number {
  if (map !== 'top') {
    if (!/^\s*\d+\s*$/.test(map)) throw new Error(`--map ${map}: expected a map index (a whole number >= 0) or 'top'`);
    return Number(map);
  }
  if (rank.error) throw rank.error;
  if (!rank.value) throw new Error(`--map top needs ${rank.path}: run \`latentlens rank ${dir}\` first`);
  const k: unknown = rank.value.ranking?.[0];
  // The index becomes a file name (explain/map-<k>.json, figures/map-<k>/): nothing but a whole number.
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 0) throw new Error(`${rank.path}: ranking[0] is not a map index (${JSON.stringify(k)})`);
  return k;
}

/** One sentence on the map's rank.json verdicts, or null without a rank.json that has the map. */
function rankVerdictNote(map: number, rank: RankRead): string | null {
  if (rank.error) return `rank.json could not be read (${rank.error.message}): the map's verdict is not known`;
  const g = rank.value?.groups?.[map];
  if (!g?.marginal) return null;
  const verdicts = `marginal q ${formatQ(g.marginal.qValue)}${g.conditional ? `, conditional q ${formatQ(g.conditional.qValue)}` : ''}`;
  if (g.marginal.significant || g.conditional?.significant) return `rank.json: map ${map} is significant (${verdicts}; rank ${g.rank})`;
  return `rank.json: map ${map} is not significant (${verdicts}; rank ${g.rank}): what follows describes the map, not evidence that it predicts the label`;
}

export function registerExplain(program: Command): void {
  program
    .command('explain <run>')
    .description('explain one latent map: input channel and region (with controls), decoder effects and entanglement, what it responds to')
    .requiredOption('--map <k|top>', "map index, or 'top' for the first of rank.json")
    .option('--methods <list>', `attribution methods, comma-separated (${METHODS.join(', ')})`)
    .option('--cases <n>', 'cases to explain (of the positive class when there are labels)', atLeast('--cases'), 32)
    .option('--figure-cases <i,j,...>', `cases shown in the figures and traversed (indices of the loaded cases, of the explained class; default: ${FIGURE_CASES} spread over the map's activation)`, indexListFlag('--figure-cases'))
    .option('--data <spec>', 'data (default: the spec the run was trained on)')
    .option('--split <name>', 'train, val, test or all', 'all')
    .option('--max-cases <n>', 'cases loaded for the population-level tests', atLeast('--max-cases'), 2000)
    .option('--seed <n>', 'seed of every random choice', whole('--seed'), 0)
    .option('--target <expr>', "positive and reference cases: label (as is), label>=2, 'label in 3,4', one-vs-rest:3, ordinal, or a column (src/data/target.ts)")
    .option('--occlusion-window <n>', 'volumes: side of the cubic occlusion window in voxels (default a quarter of the shortest side)', atLeast('--occlusion-window'))
    .option('--occlusion-stride <n>', 'volumes: step between occlusion windows in voxels (default the window; smaller costs more forward passes)', atLeast('--occlusion-stride'))
    .addHelpText('after', '\nOn a 3D model (volumes) explain runs the attribution methods integrated-gradients, occlusion (3D window) and grad-cam,\n' +
      'decoder-side ablation and the entanglement index, and says what else is not computed on volumes yet (masked\n' +
      'decoding, channel muting, traversals, activation maximisation, exemplars).')
    .action(async (dir: string, f: ExplainFlags) => {
      const names = f.methods?.split(',').map((s) => s.trim());
      const bad = names?.filter((m) => !isAttributionMethod(m));
      if (bad?.length) throw new Error(`--methods: unknown ${bad.join(', ')} (one of ${METHODS.join(', ')})`);
      const methods = names?.filter(isAttributionMethod);
      const rank = readRank(dir);
      const map = resolveMap(dir, f.map, rank);
      const loaded = await loadRunData(dir, { data: f.data, split: f.split, maxCases: f.maxCases, volumes: true, command: 'explain' });
      if (isVolumeDataset(loaded.data)) {
        const note = rankVerdictNote(map, rank);
        await explainVolumes(dir, map, loaded, { methods: names, cases: f.cases, target: f.target, occlusionWindow: f.occlusionWindow, occlusionStride: f.occlusionStride }, note ? [note] : []);
        return;
      }
      const rd = loaded as RunData; // 2D images (isVolumeDataset narrows rd.data, not rd): the full explanation
      const target = rd.labels || f.target !== undefined ? resolveTarget(f.target, rd.data, rd.indices) : undefined;
      if (target) console.log(`target: ${target.description}`);
      // Study design, and nuisance statistics to match each explained case with its reference case.
      const nuisance = runNuisance(rd);
      const design = await runDesign(rd, { labels: target?.labels, classNames: target?.classNames, dir, ...(target ? { target: target.expression } : {}), nuisance, splitOptions: { seed: f.seed } });
      const t0 = performance.now();
      const progress = new StageProgress(process.stderr);
      const r = explainMap(
        { model: rd.run.model, x: rd.x, channelNames: rd.data.channelNames, labels: target?.labels, masks: rd.masks, ids: rd.data.ids && Array.from(rd.indices, (i) => rd.data.ids![i]!), nuisance, design },
        { map, methods, maxCases: f.cases, seed: f.seed, ...(f.figureCases ? { figureCases: f.figureCases } : {}), ...(target ? { positiveClass: target.positiveClass } : {}), onProgress: (s) => progress.log(`[${((performance.now() - t0) / 1000).toFixed(1)} s] ${s}`) },
      );
      // What rank.json says of this map leads the notes: an explanation of a map that does not predict the
      // label describes the map, not evidence about the label.
      const rankNote = rankVerdictNote(map, rank);
      if (rankNote) r.conclusion.notes.unshift(rankNote);
      // Every output stays inside the run folder (names from its files are not trusted: src/util/run-paths.ts).
      // Paths relative to the run folder (a run given as ./run or run/ is not joined twice): absolute from here on.
      const outDir = mkdirInRun(dir, 'explain');
      const figDir = mkdirInRun(dir, join('figures', `map-${map}`));
      const outlines = (rd.masks ?? []).slice(0, OUTLINE_COLOURS.length).map((m, j) => ({ ...m, colour: OUTLINE_COLOURS[j]! }));
      const figures = await writeFigures(r, dir, figDir, rd.data.channelNames, rd.data.shape[2], rd.data.shape[3], outlines);
      const { figureData: _omit, ...json } = r;
      void _omit;
      writeJsonAtomic(insideRun(dir, join(outDir, `map-${map}.json`)), { ...json, ...(target ? { target: targetRecord(target) } : {}), health: healthSummary(rd.health), figureOutlines: outlines.map((m) => ({ mask: m.name, colour: m.colour.name })), figures: figures.map((p) => relative(resolve(dir), p).split(sep).join('/')) });
      console.log(`map ${map}: input channel ${r.conclusion.inputChannel ?? 'not determined'}; decoder ${r.conclusion.decoderEntangled ? 'entangled' : 'specific'} (${r.decoder.entanglement.map.toFixed(2)})`);
      for (const note of r.conclusion.notes) console.log(`  - ${note}`);
      if (r.cases.explainedSelection) console.log(`explained: ${r.cases.explained.length} cases, ${r.cases.explainedSelection}`);
      const sel = r.cases.referenceSelection;
      if (sel && sel.method !== 'none') console.log(`reference: ${r.cases.reference.length} cases, ${sel.method === 'matched' ? `matched on ${sel.statistics.join(', ')} (mean distance ${sel.meanDistance!.toFixed(2)}, random pairs ${sel.randomMeanDistance!.toFixed(2)})` : 'a seeded random sample'}`);
      if (r.figureCases) console.log(`figures: cases ${r.figureCases.cases.join(', ')} (${r.figureCases.rule})${outlines.length ? `; ground truth outlined: ${outlines.map((m) => `${m.name} ${m.colour.name}`).join(', ')}` : ''}`);
      for (const line of designSummary(design)) console.log(line);
      console.log(`-> ${join(dir, 'explain', `map-${map}.json`)} and ${figures.length} figures in ${join(dir, 'figures', `map-${map}`)}`);
    });
}

type Outline = { name: string; data: Uint8Array; colour: (typeof OUTLINE_COLOURS)[number] };

/**
 * Writes the figure PNGs into `dir` (inside run folder `run`), named by method, case and channel index:
 * overlays of the figure cases (r.figureCases) with each ground-truth mask outlined; returns their absolute paths.
 */
async function writeFigures(r: ReturnType<typeof explainMap>, run: string, dir: string, channels: string[], h: number, w: number, outlines: Outline[]): Promise<string[]> {
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
        written.push(writeRunFile(run, p, await overlayPng(fd.explained.subarray(off, off + hw), a!.heatmaps.subarray(off, off + hw), h, w, { outlines: masks })));
      }
    }
  }
  const [q, n] = fd.traversal.shape;
  for (let ch = 0; ch < c; ch++) {
    const frames = Array.from({ length: q }, (_, s) => fd.traversal.images.subarray(((s * n) * c + ch) * hw, ((s * n) * c + ch + 1) * hw));
    const p = join(dir, traversalFigureName(ch, channels[ch]!));
    written.push(writeRunFile(run, p, await stripPng(frames, h, w)));
  }
  // RGB data: the traversal as colour composites too, and the activation maximisation's composite before its channels.
  const rgb = rgbChannels(channels);
  if (rgb) {
    const frames = Array.from({ length: q }, (_, s) => rgb.map((ch) => fd.traversal.images.subarray(((s * n) * c + ch) * hw, ((s * n) * c + ch + 1) * hw)) as [Float32Array, Float32Array, Float32Array]);
    written.push(writeRunFile(run, join(dir, TRAVERSAL_COMPOSITE_FIGURE), await compositeStripPng(frames, h, w)));
  }
  if (fd.activationMax) {
    const frames = channels.map((_, ch) => fd.activationMax!.subarray(ch * hw, (ch + 1) * hw));
    const png = rgb ? await compositeStripPng([rgb.map((ch) => frames[ch]!) as [Float32Array, Float32Array, Float32Array]], h, w, frames) : await stripPng(frames, h, w);
    written.push(writeRunFile(run, join(dir, 'activation-max.png'), png));
  }
  return written;
}

// explainRun on a 3D model: the attribution methods that run on volumes (integrated gradients, 3D
// occlusion, Grad-CAM), written to explain/map-<k>.json (one envelope, run-file.ts), with what the 2D
// explanation has beyond them said to be not computed on volumes.
import { join } from 'node:path';
import { resolveTarget, targetRecord } from '../data/target.js';
import type { CaseDataset } from '../data/types.js';
import { VOLUME_ATTRIBUTION_METHODS, type VolumeAttributionMethod } from '../explain/attribution/volumes.js';
import { explainVolumeMap, type VolumeMapExplanation } from '../explain/explain-volume-map.js';
import { OUTLINE_COLOURS } from '../explain/figures.js';
import { peakVoxel, sliceOverlays, volumeFigureName } from '../explain/figures-volume.js';
import type { RunData, SplitChoice } from './run-data.js';
import { healthSummary } from './run-health.js';
import { mkdirInRun, writeRunFile } from '../util/run-paths.js';
import { writeRunEnvelope, type RunFileEnvelope, type RunInputs } from './run-file.js';
import { logOf, type RunLog } from './run-log.js';
import type { ExplainSettings } from './explain-options.js';

/** explain/map-<k>.json of a 3D run: the volume explanation without figure data, its slice figures and the notes printed with it. */
export type VolumeExplainFileResult = Omit<VolumeMapExplanation, 'figureData'> & { figures: VolumeFigure[]; notes: string[] };
export type VolumeExplainFile = RunFileEnvelope<VolumeExplainFileResult, RunInputs, ExplainSettings>;

const isVolumeMethod = (m: string): m is VolumeAttributionMethod => (VOLUME_ATTRIBUTION_METHODS as readonly string[]).includes(m);

/** Explains map `s.map` of a 3D run on its volumes; `notes` (rank.json's verdict) lead the printed notes. */
export async function explainVolumesRun(
  dir: string,
  rd: RunData<CaseDataset>,
  s: ExplainSettings,
  o: { split: SplitChoice; target?: string; notes: string[] },
  out: RunLog,
): Promise<{ file: VolumeExplainFile; path: string; figures: number }> {
  const log = logOf(out);
  const { map } = s;
  const notes = o.notes;
  const bad = s.methods?.filter((m) => !isVolumeMethod(m));
  if (bad?.length)
    throw new Error(
      `explain --methods ${bad.join(', ')}: not available on volumes yet; on volumes: ${VOLUME_ATTRIBUTION_METHODS.join(', ')}`,
    );
  const target = rd.labels || o.target !== undefined ? resolveTarget(o.target, rd.data, rd.indices) : undefined;
  if (target) log(`target: ${target.description}`);
  const t0 = performance.now();
  const r = explainVolumeMap(
    {
      model: rd.run.model,
      x: rd.x,
      channelNames: rd.data.channelNames,
      labels: target?.labels,
      masks: rd.data.masks && rd.masks?.map((m, j) => ({ ...m, channels: rd.data.masks![j]!.channels })),
    },
    {
      map,
      maxCases: s.cases,
      positiveClass: target?.positiveClass,
      methods: s.methods?.filter(isVolumeMethod),
      occlusion: {
        ...(s.occlusionWindow ? { window: s.occlusionWindow } : {}),
        ...(s.occlusionStride ? { stride: s.occlusionStride } : {}),
      },
      onProgress: (m) => out.progress?.log(`[${((performance.now() - t0) / 1000).toFixed(1)} s] ${m}`),
    },
  );
  mkdirInRun(dir, 'explain');
  const figures = await writeVolumeFigures(r, dir, mkdirInRun(dir, join('figures', `map-${map}`)), rd);
  const { figureData: _omit, ...json } = r;
  void _omit;
  const { envelope, path: outPath } = writeRunEnvelope(dir, join('explain', `map-${map}.json`), 'explain', {
    inputs: {
      run: dir,
      data: rd.dataSpec,
      split: o.split,
      cases: rd.indices.length,
      ...(target ? { target: targetRecord(target) } : {}),
      health: healthSummary(rd.health),
    },
    settings: s,
    result: { ...json, figures, cases: { ...r.cases, explained: r.cases.explained.map((i) => rd.indices[i]!) }, notes },
  });
  log(
    `map ${map} on ${r.cases.explained.length} volumes (baseline: ${r.cases.baseline}, ${r.cases.reference} cases): input channel ${r.inputChannel ?? 'not determined'}`,
  );
  for (const note of notes) log(`  - ${note}`);
  for (const m of r.methods) {
    const share = m.channelShare
      ? Object.entries(m.channelShare)
          .map(([k, v]) => `${k} ${v.toFixed(2)}`)
          .join(', ')
      : 'spatial only';
    const masks = m.masks
      .filter((k) => k.cases > 0)
      .map(
        (k) =>
          `${(100 * k.inMask).toFixed(0)}% in ${k.mask} (chance ${(100 * k.chance).toFixed(1)}%), peak in it ${(100 * k.pointing).toFixed(0)}%`,
      )
      .join('; ');
    log(
      `  ${m.method}: ${share}; ${m.forwardPassesPerVolume} forward passes per volume, ${m.seconds.toFixed(1)} s${masks ? `; ${masks}` : ''}`,
    );
  }
  if (r.decoder) {
    const abl = Object.entries(r.decoder.ablation)
      .map(
        ([k, v]) =>
          `${k} ${v.ratio.toFixed(2)}x the other maps (p ${v.pValue.toFixed(3)}${v.insideMask !== undefined ? `, ${(100 * v.insideMask).toFixed(0)}% in the mask` : ''})`,
      )
      .join(', ');
    log(
      `  decoder: ablating the map changes ${abl}; entanglement ${r.decoder.entanglement.map.toFixed(2)} (all maps ${r.decoder.entanglement.overall.toFixed(2)}); ${r.decoder.decodesPerVolume} decodes per volume`,
    );
  } else if (r.decoderNote) log(`  decoder: ${r.decoderNote}`);
  log(`  not computed on volumes yet: ${r.notComputed.join('; ')}`);
  log(
    `-> ${outPath} and ${figures.length} figures (three orthogonal slices through each attribution's peak) in ${join(dir, 'figures', `map-${map}`)}`,
  );
  return { file: envelope, path: outPath, figures: figures.length };
}

/** A slice figure as the JSON lists it: where it is (relative to the run) and what it shows. */
export interface VolumeFigure {
  path: string;
  method: string;
  case: number;
  channel: string;
  axis: string;
  index: number;
}

// Three orthogonal slices through each shown volume's attribution peak, per method and input channel,
// ground-truth masks outlined (Grad-CAM, spatial only, is drawn over every channel).
async function writeVolumeFigures(r: VolumeMapExplanation, run: string, figDir: string, rd: RunData<CaseDataset>): Promise<VolumeFigure[]> {
  const fd = r.figureData;
  if (!fd) return [];
  const dims = rd.data.shape.slice(2) as [number, number, number];
  const V = dims[0] * dims[1] * dims[2];
  const channels = rd.data.channelNames;
  const written: VolumeFigure[] = [];
  for (const [method, heats] of Object.entries(fd.heatmaps)) {
    for (const [k, pos] of fd.positions.entries()) {
      const local = r.cases.explained[pos]!;
      const heat = heats![k]!;
      const hc = heat.length / V;
      const at = peakVoxel(heat, 0, hc, dims);
      const outlines = (rd.masks ?? [])
        .slice(0, OUTLINE_COLOURS.length)
        .map((m, j) => ({ mask: m.data.subarray(local * V, (local + 1) * V), rgb: OUTLINE_COLOURS[j]!.rgb }));
      for (let ch = 0; ch < channels.length; ch++) {
        const h = hc === 1 ? heat : heat.subarray(ch * V, (ch + 1) * V);
        for (const s of await sliceOverlays(fd.inputs[k]!.subarray(ch * V, (ch + 1) * V), h, dims, at, outlines)) {
          const caseIndex = rd.indices[local]!;
          const name = volumeFigureName(method, caseIndex, ch, channels[ch]!, s.axis, s.index);
          writeRunFile(run, join(figDir, name), s.png);
          written.push({
            path: `figures/map-${r.map}/${name}`,
            method,
            case: caseIndex,
            channel: channels[ch]!,
            axis: s.axis,
            index: s.index,
          });
        }
      }
    }
  }
  return written;
}

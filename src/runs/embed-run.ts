// embedRun: a trained run's latents embedded in 2D (PCA, t-SNE, UMAP): encode its dataset (batches of 256,
// no grad), pool the latent maps (their means, or every cell), embed, colour, and write embed-<method>.json (one envelope,
// run-file.ts) and figures/embed-<method>.png into the run folder.
import { join } from 'node:path';
import type { CaseDataset, ImageDataset } from '../data/types.js';
import { Random } from '../core/random.js';
import { resolveTarget, targetRecord, type Target } from '../data/target.js';
import { encodeLatents } from '../models/encode.js';
import { parsePooling, poolLatents } from '../models/pool-latents.js';
import { embedAsync, type EmbedOptions } from '../embed/index.js';
import { embeddingJson, writeScatterPng, type EmbeddingJson, type ScatterOptions } from '../embed/scatter.js';
import type { EmbeddingResult, ProgressCallback } from '../embed/types.js';
import { insideRun, mkdirInRun } from '../util/run-paths.js';
import { openRunCases } from './run-data.js';
import { healthSummary } from './run-health.js';
import { writeRunEnvelope, type RunFileEnvelope, type RunInputs } from './run-file.js';
import { logOf, type RunLog } from './run-log.js';

/** Options of `embedRun`. */
export interface EmbedRunOptions {
  /** Method and its options. */
  embed: EmbedOptions;
  /** `'label'`, `'factor:<name>'`, `'map:<k>'` (mean activation of latent map k) or `'none'`. Default `'label'` when the data has labels. */
  color?: string;
  /** Target expression of `color: 'label'` (src/data/target.ts: `label>=2`, `one-vs-rest:3`, a column, ...). Default: the labels as they are. */
  target?: string;
  /** `'mean'`: one value per map (N x K); `'grid'`: every latent cell (N x K*h*w). Default `'mean'`. */
  pooling?: EmbedPooling;
  /** Data spec to encode; default the run's recorded `dataSpec`. */
  data?: string;
  /** At most this many cases (a seeded random subset); trustworthiness is O(N^2). Default 5000. */
  maxPoints?: number;
  onProgress?: ProgressCallback;
}

/** An embedding reads points, so one value per map or every cell ('summary' mixes statistics of unlike scale). */
export const EMBED_POOLINGS = ['mean', 'grid'] as const;
export type EmbedPooling = (typeof EMBED_POOLINGS)[number];

export type EmbedSettings = Omit<EmbedRunOptions, 'data' | 'target' | 'onProgress'> & {
  color: string;
  pooling: EmbedPooling;
  maxPoints: number;
};
/** `indices`: the embedded cases (a seeded subset when capped), in the order of `coords`. */
export type EmbedInputs = RunInputs & { latentShape: number[]; indices: number[] };
/** `palette`: how label colours read (ordered grades on a scale, or categories). */
export type EmbedFileResult = EmbeddingJson & { palette?: 'sequential' | 'categorical' };
export type EmbedFile = RunFileEnvelope<EmbedFileResult, EmbedInputs, EmbedSettings>;

const NUMERIC = /^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i;

/**
 * Whether label colours should read as a scale: an ordinal target, or the labels as they are when the
 * data says they are grades (task 'ordinal') or there are more than two classes, all named by numbers.
 * A binary target (label>=2, one-vs-rest) is two groups, so categorical.
 */
export function orderedLabels(
  data: Pick<ImageDataset, 'task' | 'classNames'>,
  classNames: string[] | undefined,
  target?: Pick<Target, 'kind'>,
): boolean {
  if (target?.kind === 'ordinal') return true;
  if (target?.kind === 'binary') return false;
  if (data.task === 'ordinal') return true;
  return (classNames?.length ?? 0) > 2 && classNames!.every((s) => NUMERIC.test(s));
}

function colourFor(spec: string, data: CaseDataset, indices: Int32Array, pooled: Float32Array, k: number, target?: Target): ScatterOptions {
  if (spec === 'none') return {};
  if (spec === 'label') {
    if (target)
      return {
        labels: target.labels,
        classNames: target.classNames,
        colorName: target.expression,
        ordered: orderedLabels(data, target.classNames, target),
      };
    if (!data.labels || (data.labelWidth ?? 1) !== 1) throw new Error('--color label needs single-label data');
    return {
      labels: Array.from(indices, (i) => data.labels![i]),
      classNames: data.classNames,
      colorName: 'label',
      ordered: orderedLabels(data, data.classNames),
    };
  }
  const [kind, arg] = [spec.slice(0, spec.indexOf(':')), spec.slice(spec.indexOf(':') + 1)];
  if (kind === 'factor') {
    const f = data.factors?.names.indexOf(arg) ?? -1;
    if (f < 0) throw new Error(`no factor '${arg}' (factors: ${data.factors?.names.join(', ') || 'none'})`);
    const nf = data.factors!.names.length;
    return { values: Array.from(indices, (i) => data.factors!.values[i * nf + f]), colorName: arg };
  }
  if (kind === 'map') {
    const m = Number(arg);
    if (!Number.isInteger(m) || m < 0 || m >= k) throw new Error(`--color map:<k> needs k in 0..${k - 1}, got '${arg}'`);
    return { values: Array.from(indices, (_, r) => pooled[r * k + m]), colorName: `map ${m} (mean)` };
  }
  throw new Error(`--color must be label, factor:<name>, map:<k> or none; got '${spec}'`);
}

/** Embeds a run's latents and writes the JSON and the figure; returns the result and the file paths. */
export async function embedRun(
  dir: string,
  o: EmbedRunOptions,
  out: RunLog = {},
): Promise<{ result: EmbeddingResult; file: EmbedFile; json: string; png: string; target?: Target }> {
  const log = logOf(out);
  // The run, its data (images or volumes) and its health, opened once, as every analysis opens them.
  const { run, data, dataSpec: spec, health } = await openRunCases(dir, { data: o.data, volumes: true, command: 'embed', log });
  try {
    const n = data.shape[0];
    const max = o.maxPoints ?? 5000;
    const seed = o.embed.seed ?? 0;
    const indices = n > max ? new Random(seed).permutation(n).slice(0, max).sort() : Int32Array.from({ length: n }, (_, i) => i);
    const pooling = parsePooling(o.pooling ?? 'mean', EMBED_POOLINGS);
    const maps = encodeLatents(run.model, data, { indices });
    const latentShape = maps.shape.slice(1);
    const means = poolLatents(maps, 'mean'); // map:<k> colours by a map's mean whatever the embedding reads
    const points = pooling === 'mean' ? means : poolLatents(maps, pooling);
    const color = o.color ?? (data.labels || o.target !== undefined ? 'label' : 'none');
    let target: Target | undefined;
    if (color === 'label') {
      if (o.target !== undefined) target = resolveTarget(o.target, data, indices);
      else if (data.labels && (data.labelWidth ?? 1) === 1) {
        try {
          target = resolveTarget(undefined, data, indices);
        } catch {
          /* one class among the points: plain label colours */
        }
      }
    } else if (o.target !== undefined) throw new Error(`--target ${o.target} colours by the target: it needs --color label, not ${color}`);
    const colour = colourFor(color, data, indices, means.data, means.cols, target);
    const result = await embedAsync(points.data, indices.length, points.cols, o.embed, o.onProgress);
    const method = o.embed.method;
    const json = join(dir, `embed-${method}.json`);
    const png = join(dir, 'figures', `embed-${method}.png`);
    // A symlinked figures/ (or a name leading out) must not carry writes out of the run folder.
    // Names relative to the run folder: a run given as ./run or run/ is not joined twice.
    mkdirInRun(dir, 'figures');
    const pngAt = insideRun(dir, join('figures', `embed-${method}.png`));
    const { envelope } = writeRunEnvelope(dir, `embed-${method}.json`, 'embed', {
      inputs: {
        run: dir,
        data: spec,
        split: 'all',
        cases: indices.length,
        ...(target ? { target: targetRecord(target) } : {}),
        health: healthSummary(health),
        latentShape,
        indices: Array.from(indices),
      },
      settings: { embed: o.embed, color, pooling, maxPoints: max },
      result: {
        ...embeddingJson(result),
        ...(colour.labels ? { palette: colour.ordered ? ('sequential' as const) : ('categorical' as const) } : {}),
      },
    });
    await writeScatterPng(pngAt, result.coords, {
      ...colour,
      title: `${({ pca: 'PCA', tsne: 't-SNE', umap: 'UMAP' } as const)[method]} of ${run.config.model.kind} latents (${pooling}), trustworthiness ${result.trustworthiness.toFixed(3)}`,
    });
    log(
      `${method}: ${result.coords.length / 2} points in ${result.seconds.toFixed(1)} s, trustworthiness ${result.trustworthiness.toFixed(4)}`,
    );
    if (target) log(`target: ${target.description}`);
    log(`wrote ${json}`);
    log(`wrote ${png}`);
    return { result, file: envelope, json, png, ...(target ? { target } : {}) };
  } finally {
    run.model.dispose();
  }
}

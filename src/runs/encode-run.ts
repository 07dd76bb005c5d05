// What tcavRun and metricsRun share: the run's chosen cases encoded to latent maps.
import type { CaseDataset } from '../data/types.js';
import type { LatentMaps } from '../metrics/latents.js';
import { encodeImages, encodeVolumes } from '../models/encode.js';
import { openRunCases, type OpenRunOptions, type RunCases } from './run-data.js';

export type { SplitChoice } from './run-data.js';

export interface EncodedRun extends RunCases<CaseDataset> {
  maps: LatentMaps;
}

/**
 * The run's cases encoded. Volumes (a 3D model) give maps K x d x h x w, handed on as K x (d·h) x w:
 * TCAV and the metrics read a map as its cells (flattened, or averaged), never by their geometry, so
 * the two are the same to them; a per-cell name `mapK@row,col` then has row = z·h + y.
 */
export async function encodeRun(dir: string, o: OpenRunOptions & { batch?: number }): Promise<EncodedRun> {
  const rc = await openRunCases(dir, { ...o, volumes: true });
  if (rc.data.shape.length === 5) {
    const r = encodeVolumes(rc.run.model, rc.data.images, rc.data.shape, Math.min(o.batch ?? 32, 32), rc.indices);
    const [n, k, d, h, w] = r.shape;
    return { ...rc, maps: { data: r.values, shape: [n, k, d * h, w] } };
  }
  const r = encodeImages(rc.run.model, rc.data.images, rc.data.shape, o.batch ?? 128, rc.indices);
  return { ...rc, maps: { data: r.values, shape: r.shape } };
}

export { takeRows as pickRows } from '../util/rows.js';

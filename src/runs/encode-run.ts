// What tcavRun and metricsRun share: the run's chosen cases encoded to latent maps.
import type { CaseDataset } from '../data/types.js';
import { encodeLatents, latentCells, type GridShape, type LatentMaps } from '../models/encode.js';
import { openRunCases, type OpenRunOptions, type RunCases } from './run-data.js';

export type { SplitChoice } from './run-data.js';

export interface EncodedRun extends RunCases<CaseDataset> {
  maps: LatentMaps<GridShape>;
}

/**
 * The run's cases encoded. Volumes (a 3D model) give maps K x d x h x w, handed on as their cells
 * K x (d·h) x w: TCAV and the metrics read a map as its cells (flattened, or averaged), never by their
 * geometry, so the two are the same to them; a per-cell name `mapK@row,col` then has row = z·h + y.
 */
export async function encodeRun(dir: string, o: OpenRunOptions & { batch?: number }): Promise<EncodedRun> {
  const rc = await openRunCases(dir, { ...o, volumes: true });
  return { ...rc, maps: latentCells(encodeLatents(rc.run.model, rc.data, { batch: o.batch ?? 128, indices: rc.indices })) };
}

export { takeRows as pickRows } from '../util/rows.js';

// What the tcav and metrics commands share: the run's chosen cases encoded to latent maps.
import type { LatentMaps } from '../metrics/latents.js';
import { encodeImages } from '../models/encode.js';
import { openRunCases, type OpenRunOptions, type RunCases } from '../runs/run-data.js';

export type { SplitChoice } from '../runs/run-data.js';

export interface EncodedRun extends RunCases {
  maps: LatentMaps;
}

export async function encodeRun(dir: string, o: OpenRunOptions & { batch?: number }): Promise<EncodedRun> {
  const rc = await openRunCases(dir, o);
  const r = encodeImages(rc.run.model, rc.data.images, rc.data.shape, o.batch ?? 128, rc.indices);
  return { ...rc, maps: { data: r.values, shape: r.shape } };
}

export { takeRows as pickRows } from '../util/rows.js';

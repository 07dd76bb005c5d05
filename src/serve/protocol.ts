// Messages between the HTTP thread and a run's compute worker. Every request carries an id; the worker
// answers each id exactly once, so the HTTP side can keep many requests in flight.

/** One latent edit: `delta` adds to every cell of map `map`; `value` shifts the map so its mean equals value (its spatial pattern is kept). */
export interface LatentEdit {
  map: number;
  delta?: number;
  value?: number;
}

export type ComputeRequest =
  { op: 'decode'; case: number; edits: LatentEdit[] } | { op: 'image'; case: number } | { op: 'latents'; case: number } | { op: 'pooled' };

/** What the worker knows about its run once loaded. */
export interface RunMeta {
  /** Cases (dataset order; case i is dataset index i). */
  n: number;
  /** C, H, W of one case; C, D, H, W when `volume`. */
  shape: number[];
  /** The cases are volumes (C x D x H x W): case images and decodings are three orthogonal slices per channel (volume-png.ts). */
  volume: boolean;
  channels: string[];
  /** Indices of the R, G, B channels when the images are RGB (util/png.ts rgbChannels): strips of every channel then start with their colour composite. Null otherwise. */
  composite: [number, number, number] | null;
  labels: number[] | null;
  classNames: string[] | null;
  ids: string[] | null;
  /** Latent maps K and grid h x w (d x h x w for volumes). */
  k: number;
  grid: number[];
  modelKind: string;
}

/** Pixels of one case or decoding, C x H x W (volumes C x D x H x W) row-major (transferred, not copied). */
export interface ImageReply {
  pixels: Float32Array;
  shape: number[];
}

export interface LatentsReply {
  case: number;
  pooled: number[];
  grid: number[];
  /** Per map its cells, row-major over the grid. */
  maps: number[][];
}

export interface PooledReply {
  n: number;
  k: number;
  pooled: Float32Array;
  min: number[];
  max: number[];
  mean: number[];
  std: number[];
}

export type WorkerMessage =
  | { type: 'ready'; meta: RunMeta }
  | { type: 'failed'; error: string }
  | { type: 'reply'; id: number; ok: true; result: unknown }
  | { type: 'reply'; id: number; ok: false; error: string; status: number };

export interface WorkerInit {
  dir: string;
  /** libtorch threads for this worker. */
  threads?: number;
  /** Test hook: every decode first blocks the worker thread this long, standing in for a heavy model. */
  busyMs?: number;
}

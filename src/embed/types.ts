// Shapes shared by every embedding method: the record a fit returns and the progress callback.

export type EmbedMethod = 'pca' | 'tsne' | 'umap';

/** What every `fit` returns (and what `embed-<method>.json` holds, coordinates as a plain array). */
export interface EmbeddingResult {
  /** N x 2 row-major coordinates: point i is at (coords[2i], coords[2i+1]). */
  coords: Float32Array;
  /** Venna-Kaski trustworthiness of `coords` against the input at `trustworthinessK` neighbours, in [0, 1]; NaN when skipped. */
  trustworthiness: number;
  method: EmbedMethod;
  /** Every option in effect, defaults filled in (plus derived values such as t-SNE's learning rate). */
  params: Record<string, unknown>;
  /** Wall-clock seconds of the fit itself (trustworthiness excluded). */
  seconds: number;
}

/** Progress of a long fit; `step` counts from 1 to `total`. Return `false` to stop early (the coordinates so far are kept). */
export type ProgressCallback = (progress: { step: number; total: number; method: EmbedMethod }) => void | boolean;

/** Options every method shares. */
export interface CommonEmbedOptions {
  /** Seed of the one random stream of the fit: equal seeds give identical coordinates. Default 0. */
  seed?: number;
  /** Neighbours k of the trustworthiness score; 0 skips it (it costs O(N^2 D)). Default 5. */
  trustworthinessK?: number;
}

export function checkMatrix(data: Float32Array | Float64Array, n: number, d: number): void {
  if (!Number.isInteger(n) || !Number.isInteger(d) || n < 1 || d < 1)
    throw new RangeError(`n and d must be positive integers, got ${n} x ${d}`);
  if (data.length !== n * d) throw new RangeError(`data has ${data.length} values, expected n * d = ${n} x ${d} = ${n * d}`);
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]))
      throw new RangeError(`data[${i}] (row ${Math.floor(i / d)}, column ${i % d}) is ${data[i]}; embeddings need finite values`);
  }
}

/** Lets the event loop run (timers, I/O, a UI) between chunks of a long synchronous computation. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

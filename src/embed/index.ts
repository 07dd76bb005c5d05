// Embeddings of latents: PCA, t-SNE (Barnes-Hut), UMAP, trustworthiness, scatter plots.
import { fitPCA, type PCAOptions } from './pca.js';
import { TSNE, type TSNEOptions } from './tsne.js';
import { UMAP, type UMAPOptions } from './umap.js';
import type { EmbedMethod, EmbeddingResult, ProgressCallback } from './types.js';

export { pca, fitPCA, type PCAOptions, type PCAModel } from './pca.js';
export { TSNE, fitTSNE, type TSNEOptions } from './tsne.js';
export { UMAP, fitUMAP, type UMAPOptions } from './umap.js';
export { trustworthiness } from './trustworthiness.js';
export { exactKnn, type KnnGraph } from './knn.js';
export {
  scatterPng,
  writeScatterPng,
  rasterizeScatter,
  embeddingJson,
  type EmbeddingJson,
  viridis,
  type ScatterOptions,
} from './scatter.js';
export type { EmbedMethod, EmbeddingResult, ProgressCallback, CommonEmbedOptions } from './types.js';

/** `embed`'s options: the method plus that method's own options. */
export type EmbedOptions = ({ method: 'pca' } & PCAOptions) | ({ method: 'tsne' } & TSNEOptions) | ({ method: 'umap' } & UMAPOptions);

/** Embeds N x D rows (row-major) in 2-D with the chosen method. */
export function embed(data: Float32Array | Float64Array, n: number, d: number, options: EmbedOptions): EmbeddingResult {
  const { method, ...rest } = options;
  if (method === 'pca') return fitPCA(data, n, d, rest);
  if (method === 'tsne') return new TSNE(rest as TSNEOptions).fit(data, n, d);
  if (method === 'umap') return new UMAP(rest as UMAPOptions).fit(data, n, d);
  throw new RangeError(`unknown embedding method '${method as string}' (pca, tsne, umap)`);
}

/** Like `embed`, yielding to the event loop as it goes and reporting progress. */
export async function embedAsync(
  data: Float32Array | Float64Array,
  n: number,
  d: number,
  options: EmbedOptions,
  onProgress?: ProgressCallback,
): Promise<EmbeddingResult> {
  const { method, ...rest } = options;
  if (method === 'pca') {
    const r = fitPCA(data, n, d, rest);
    onProgress?.({ step: 1, total: 1, method });
    return r;
  }
  if (method === 'tsne') return new TSNE(rest as TSNEOptions).fitAsync(data, n, d, onProgress);
  if (method === 'umap') return new UMAP(rest as UMAPOptions).fitAsync(data, n, d, onProgress);
  throw new RangeError(`unknown embedding method '${method as string}' (pca, tsne, umap)`);
}

export const EMBED_METHODS: readonly EmbedMethod[] = ['pca', 'tsne', 'umap'];

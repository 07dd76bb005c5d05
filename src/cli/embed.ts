// `latentlens embed <run>`: flags of embedRun (src/runs/embed-run.ts), which writes embed-<method>.json and its figure.
import type { Command } from 'commander';
import type { EmbedOptions } from '../embed/index.js';
import { parsePooling } from '../models/pool-latents.js';
import { embedRun, EMBED_POOLINGS, type EmbedPooling } from '../runs/embed-run.js';
import { StageProgress } from '../util/progress.js';
import { positiveIntFlag as atLeast, positiveNumberFlag as positive, wholeNumberFlag as whole } from './flags.js';

interface EmbedFlags {
  method: string;
  color?: string;
  target?: string;
  seed: number;
  perplexity?: number;
  neighbors?: number;
  minDist?: number;
  iterations?: number;
  epochs?: number;
  pooling: EmbedPooling;
  data?: string;
  maxPoints: number;
  threads?: number;
}

/** The embedding options of the flags (the method's own defaults where a flag is absent). */
export function embedOptions(
  f: Pick<EmbedFlags, 'method' | 'seed' | 'perplexity' | 'iterations' | 'threads' | 'neighbors' | 'minDist' | 'epochs'>,
): EmbedOptions {
  if (f.method === 'pca') return { method: 'pca', seed: f.seed };
  if (f.method === 'tsne')
    return { method: 'tsne', seed: f.seed, perplexity: f.perplexity, maxIterations: f.iterations, threads: f.threads };
  if (f.method === 'umap')
    return { method: 'umap', seed: f.seed, nNeighbors: f.neighbors, minDist: f.minDist, nEpochs: f.epochs, threads: f.threads };
  throw new Error(`--method must be umap, tsne or pca, got '${f.method}'`);
}

export function registerEmbed(program: Command): void {
  program
    .command('embed <run>')
    .description("PCA / t-SNE / UMAP of a run's latents: embed-<method>.json and figures/embed-<method>.png in the run folder")
    .option('--method <m>', 'umap | tsne | pca', 'umap')
    .option('--color <spec>', 'label | factor:<name> | map:<k> | none (default: label when the data has labels)')
    .option('--target <expr>', "colour by a target: label>=2, 'label in 3,4', one-vs-rest:3, ordinal, or a column (src/data/target.ts)")
    .option('--seed <n>', 'seed of the embedding (and of the subset when capped)', whole('--seed'), 0)
    .option('--perplexity <p>', 't-SNE perplexity (default 30)', positive('--perplexity'))
    .option('--neighbors <k>', 'UMAP n_neighbors (default 15)', atLeast('--neighbors', 2))
    .option('--min-dist <d>', 'UMAP min_dist (default 0.1)', positive('--min-dist', true))
    .option('--iterations <n>', 't-SNE iterations (default 1000)', atLeast('--iterations'))
    .option('--epochs <n>', 'UMAP epochs (default 500 up to 10,000 points)', atLeast('--epochs'))
    .option(
      '--threads <n>',
      'threads of the kNN (UMAP, t-SNE) and the t-SNE force passes; results do not depend on it (default: cores, at most 8)',
      atLeast('--threads'),
    )
    .option(
      '--pooling <how>',
      'mean (one value per map) | grid (every latent cell)',
      (v: string) => parsePooling(v, EMBED_POOLINGS),
      'mean',
    )
    .option('--data <spec>', "data to encode (default: the run's recorded data spec)")
    .option('--max-points <n>', 'cap on embedded cases (seeded subset)', atLeast('--max-points', 2), 5000)
    .action(async (dir: string, f: EmbedFlags) => {
      const embed = embedOptions(f);
      const progress = new StageProgress(process.stderr);
      await embedRun(
        dir,
        {
          embed,
          color: f.color,
          target: f.target,
          pooling: f.pooling,
          data: f.data,
          maxPoints: f.maxPoints,
          onProgress: ({ step, total }) => progress.update(f.method, step, total),
        },
        { log: (l) => console.log(l) },
      );
      progress.end();
    });
}

// Embed benchmark: latentlens t-SNE vs scikit-learn 1.2 TSNE (Debian's python3-sklearn) and latentlens
// UMAP vs umap-js, same data, same settings, same run.
//
// Data: the 4708 PneumoniaMNIST training images (../shared/data/pneumoniamnist/pneumoniamnist.npz, read
// with loadMedMNIST) reduced to their first 50 principal components — a real signal of the latent
// size a pooled encoder gives, until a trained model's latents exist. `--random` (or a missing file)
// uses standard-normal 4708 x 50 instead.
// Settings: t-SNE perplexity 30, 1000 iterations, Barnes-Hut theta 0.5, PCA init, learning rate 'auto',
// same thread count (sklearn n_jobs); UMAP n_neighbors 15, min_dist 0.1, 500 epochs. Times are the fit
// alone (data loading and format conversion excluded); both trustworthiness values (k = 5) come from
// our own function.
//
// Usage: node dist/bench/main.js embed [--threads N] [--iterations N] [--epochs N] [--rounds N] [--random]
// With several rounds each time is the median, and odd rounds run the peer first.
// Last line: {"suite":"embed","tsne":{...},"umap":{...}}
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UMAP as UmapJs } from 'umap-js';
import { loadMedMNIST } from '../src/data/index.js';
import { Random } from '../src/core/random.js';
import { TSNE, UMAP, pca, trustworthiness } from '../src/embed/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const D = 50;

function flag(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

async function loadLatents(random: boolean): Promise<{ data: Float32Array; n: number; source: string }> {
  const npz = join(root, '..', 'shared', 'data', 'pneumoniamnist', 'pneumoniamnist.npz');
  if (!random && existsSync(npz)) {
    const ds = await loadMedMNIST(npz, { split: 'train' });
    const [n, c, h, w] = ds.shape;
    const model = pca(ds.images, n, c * h * w, { components: D });
    return { data: model.scores, n, source: `PneumoniaMNIST train images (${n} x ${c * h * w}) -> PCA-${D}` };
  }
  const rng = new Random(0);
  const n = 4708;
  return { data: new Float32Array(n * D).map(() => rng.normal()), n, source: `random normal ${n} x ${D}` };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function sklearnTsne(file: string, n: number, iterations: number, threads: number, out: string): { seconds: number; kl: number } {
  const script = join(root, 'bench', 'peers', 'embed_peer.py');
  const r = spawnSync('/usr/bin/python3', [script, file, String(n), String(D), '30', String(iterations), String(threads), '0', out], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`sklearn peer failed: ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { seconds: number; kl: number };
}

export async function run(args: string[]): Promise<void> {
  const threads = flag(args, '--threads', availableParallelism());
  const iterations = flag(args, '--iterations', 1000);
  const epochs = flag(args, '--epochs', 500);
  const rounds = flag(args, '--rounds', 1);
  const { data, n, source } = await loadLatents(args.includes('--random'));
  console.log(`data: ${source}; threads ${threads}; t-SNE ${iterations} iterations; UMAP ${epochs} epochs; ${rounds} round(s)`);
  const dir = mkdtempSync(join(tmpdir(), 'latentlens-embed-bench-'));
  const file = join(dir, 'latents.f32');
  writeFileSync(file, data);
  const rows = Array.from({ length: n }, (_, i) => Array.from(data.subarray(i * D, (i + 1) * D)));
  const times = { ours_tsne: [] as number[], peer_tsne: [] as number[], ours_umap: [] as number[], peer_umap: [] as number[] };
  let oursTsne: Float32Array = new Float32Array(0),
    peerTsne: Float32Array = new Float32Array(0);
  let oursUmap: Float32Array = new Float32Array(0),
    peerUmap: Float32Array = new Float32Array(0);
  try {
    const kl = { ours: NaN, peer: NaN };
    for (let r = 0; r < rounds; r++) {
      // Odd rounds run the peers first, so neither side always gets the quieter machine.
      const order = r % 2 === 0 ? ['ours', 'peer'] : ['peer', 'ours'];
      for (const who of order) {
        if (who === 'ours') {
          const t = performance.now();
          const res = new TSNE({ perplexity: 30, maxIterations: iterations, threads, seed: 0, trustworthinessK: 0 }).fit(data, n, D);
          times.ours_tsne.push((performance.now() - t) / 1000);
          oursTsne = res.coords;
          kl.ours = res.params.klDivergence as number;
        } else {
          const out = join(dir, 'sklearn.f32');
          const peer = sklearnTsne(file, n, iterations, threads, out);
          times.peer_tsne.push(peer.seconds);
          kl.peer = peer.kl;
          peerTsne = new Float32Array(readFileSync(out).buffer.slice(0));
        }
      }
      for (const who of order) {
        if (who === 'ours') {
          const t = performance.now();
          oursUmap = new UMAP({ nNeighbors: 15, minDist: 0.1, nEpochs: epochs, seed: 0, trustworthinessK: 0 }).fit(data, n, D).coords;
          times.ours_umap.push((performance.now() - t) / 1000);
        } else {
          const rng = new Random(r);
          const peer = new UmapJs({ nNeighbors: 15, minDist: 0.1, nEpochs: epochs, random: () => rng.next() });
          const t = performance.now();
          const emb = peer.fit(rows);
          times.peer_umap.push((performance.now() - t) / 1000);
          peerUmap = new Float32Array(2 * n);
          emb.forEach((p, i) => {
            peerUmap[2 * i] = p[0];
            peerUmap[2 * i + 1] = p[1];
          });
        }
      }
      console.log(
        `round ${r + 1}: t-SNE ours ${times.ours_tsne[r].toFixed(2)} s (KL ${kl.ours.toFixed(3)}), sklearn ${times.peer_tsne[r].toFixed(2)} s (KL ${kl.peer.toFixed(3)}); UMAP ours ${times.ours_umap[r].toFixed(2)} s, umap-js ${times.peer_umap[r].toFixed(2)} s`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const entry = (ours: number[], peer: number[], a: Float32Array, b: Float32Array) => {
    const latentlens_s = median(ours),
      peer_s = median(peer);
    return {
      latentlens_s: +latentlens_s.toFixed(3),
      peer_s: +peer_s.toFixed(3),
      speedup: +(peer_s / latentlens_s).toFixed(3),
      latentlens_trust: +trustworthiness(data, n, D, a, 2, 5).toFixed(4),
      peer_trust: +trustworthiness(data, n, D, b, 2, 5).toFixed(4),
    };
  };
  const tsne = entry(times.ours_tsne, times.peer_tsne, oursTsne, peerTsne);
  const umap = entry(times.ours_umap, times.peer_umap, oursUmap, peerUmap);
  console.log(JSON.stringify({ suite: 'embed', tsne, umap }));
}

// Forest benchmark: latentlens RandomForest vs scikit-learn RandomForestClassifier, same data, same run.
//
// Data: the real PneumoniaMNIST training split (4708 images, labels 0 normal / 1 pneumonia) from
// ../shared/data, encoded by a fixed *random* convolutional encoder (no trained model exists yet):
// 32 random 4x4 filters, stride 4, ReLU -> 32 maps x 7 x 7 = 1568 columns (case b, grouped by map);
// case a pools each map to (mean, max) -> 64 columns. Falls back to synthetic features of the same
// shapes (signal in two maps) when the file is missing.
//
// Usage: node dist/bench/main.js forest [--repeats N] [--null N] [--threads N] [--skip-sklearn]
// Last line: {"suite":"forest","cases":[...],"pimp100_s":..}

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync } from 'fflate';
import { RandomForest, binMatrix, closeSharedPool, type Matrix } from '../src/forest/index.js';
import { Random } from '../src/core/random.js';
import { pimpNull } from '../src/explain/importance/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

interface Dataset {
  source: string;
  n: number;
  labels: Int32Array;
  full: Matrix; // 1568 columns, grouped by map
  groupOf: Int32Array;
  nGroups: number;
  pooled: Matrix; // 64 columns
}

function parseNpy(buf: Uint8Array): { shape: number[]; dtype: string; data: Uint8Array } {
  const headerLen = buf[8] | (buf[9] << 8);
  const header = new TextDecoder().decode(buf.subarray(10, 10 + headerLen));
  const dtype = /'descr':\s*'([^']+)'/.exec(header)![1];
  const shape = /'shape':\s*\(([^)]*)\)/
    .exec(header)![1]
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  return { shape, dtype, data: buf.subarray(10 + headerLen) };
}

function loadData(): Dataset {
  const npz = join(root, '..', 'shared', 'data', 'pneumoniamnist', 'pneumoniamnist.npz');
  const maps = 32;
  const cells = 49;
  if (existsSync(npz)) {
    const files = unzipSync(readFileSync(npz));
    const img = parseNpy(files['train_images.npy']);
    const lab = parseNpy(files['train_labels.npy']);
    if (img.dtype !== '|u1' || lab.dtype !== '|u1') throw new Error('unexpected dtype in npz');
    const n = img.shape[0];
    const labels = Int32Array.from(lab.data.subarray(0, n));
    // Random conv encoder: 32 filters 4x4, stride 4, bias, ReLU.
    const rng = new Random(1234);
    const w = new Float32Array(maps * 16);
    const b = new Float32Array(maps);
    for (let i = 0; i < w.length; i++) w[i] = rng.normal() / 4;
    for (let m = 0; m < maps; m++) b[m] = rng.normal() * 0.2;
    const d = maps * cells;
    const full = new Float32Array(n * d);
    const pooled = new Float32Array(n * maps * 2);
    for (let r = 0; r < n; r++) {
      const px = img.data.subarray(r * 784, (r + 1) * 784);
      for (let m = 0; m < maps; m++) {
        let sum = 0;
        let mx = 0;
        for (let cy = 0; cy < 7; cy++)
          for (let cx = 0; cx < 7; cx++) {
            let s = b[m];
            for (let ky = 0; ky < 4; ky++)
              for (let kx = 0; kx < 4; kx++) s += w[m * 16 + ky * 4 + kx] * (px[(cy * 4 + ky) * 28 + cx * 4 + kx] / 255 - 0.5);
            const v = s > 0 ? s : 0;
            full[r * d + m * cells + cy * 7 + cx] = v;
            sum += v;
            if (v > mx) mx = v;
          }
        pooled[r * maps * 2 + 2 * m] = sum / cells;
        pooled[r * maps * 2 + 2 * m + 1] = mx;
      }
    }
    const groupOf = new Int32Array(d);
    for (let f = 0; f < d; f++) groupOf[f] = Math.floor(f / cells);
    return {
      source: 'PneumoniaMNIST train split through a fixed random conv encoder (32 maps x 7 x 7)',
      n,
      labels,
      full: { data: full, rows: n, cols: d },
      groupOf,
      nGroups: maps,
      pooled: { data: pooled, rows: n, cols: maps * 2 },
    };
  }
  // Synthetic fallback: same shapes, 74% positives, signal in maps 2 and 5.
  const n = 4708;
  const rng = new Random(99);
  const labels = new Int32Array(n);
  for (let r = 0; r < n; r++) labels[r] = rng.next() < 0.742 ? 1 : 0;
  const d = maps * cells;
  const full = new Float32Array(n * d);
  const pooled = new Float32Array(n * maps * 2);
  for (let r = 0; r < n; r++)
    for (let m = 0; m < maps; m++) {
      const u = rng.normal() + (m === 2 || m === 5 ? 1.0 * (labels[r] - 0.5) : 0);
      let sum = 0;
      let mx = -Infinity;
      for (let c = 0; c < cells; c++) {
        const v = 0.7 * u + 0.7 * rng.normal();
        full[r * d + m * cells + c] = v;
        sum += v;
        if (v > mx) mx = v;
      }
      pooled[r * maps * 2 + 2 * m] = sum / cells;
      pooled[r * maps * 2 + 2 * m + 1] = mx;
    }
  const groupOf = new Int32Array(d);
  for (let f = 0; f < d; f++) groupOf[f] = Math.floor(f / cells);
  return {
    source: 'synthetic (signal in maps 2 and 5)',
    n,
    labels,
    full: { data: full, rows: n, cols: d },
    groupOf,
    nGroups: maps,
    pooled: { data: pooled, rows: n, cols: maps * 2 },
  };
}

function arg(args: string[], name: string, def: number): number {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
}

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)];
}

export async function run(args: string[]): Promise<void> {
  const repeats = arg(args, '--repeats', 3);
  const nNull = arg(args, '--null', 100);
  const threads = arg(args, '--threads', 2);
  const skipSk = args.includes('--skip-sklearn');
  const data = loadData();
  console.log(`data: ${data.source}; n=${data.n}, positives ${data.labels.reduce((a, b) => a + b, 0)}`);
  const tmp = mkdtempSync(join(tmpdir(), 'latentlens-bench-forest-'));
  const cases: Array<Record<string, number>> = [];
  // Start the worker pool once before timing (a long-lived process keeps it; sklearn's threads
  // backend has no start-up either).
  await new RandomForest({ nTrees: Math.max(1, threads), threads }).fit(
    { data: new Float32Array(20), rows: 10, cols: 2 },
    [0, 1, 0, 1, 0, 1, 0, 1, 0, 1],
  );
  try {
    for (const m of [data.pooled, data.full]) {
      // latentlens: fit = binning + growing + OOB score (the same work sklearn's fit does with oob_score).
      const times: number[] = [];
      let oob = NaN;
      for (let r = 0; r < repeats; r++) {
        const f = new RandomForest({ nTrees: 100, oobScore: true, seed: r, threads });
        const t0 = performance.now();
        await f.fit(m, data.labels);
        times.push((performance.now() - t0) / 1000);
        if (r === 0) oob = f.oobScore!;
      }
      let skTimes: number[] = [NaN];
      let skOob = NaN;
      if (!skipSk) {
        const xf = join(tmp, 'x.f32');
        const yf = join(tmp, 'y.i32');
        writeFileSync(xf, new Uint8Array(m.data.buffer, m.data.byteOffset, m.data.byteLength));
        writeFileSync(yf, new Uint8Array(data.labels.buffer));
        const py = spawnSync(
          '/usr/bin/python3',
          [
            join(root, 'bench', 'peers', 'sklearn_forest.py'),
            xf,
            yf,
            String(m.rows),
            String(m.cols),
            '100',
            String(threads),
            String(repeats),
          ],
          { encoding: 'utf8' },
        );
        if (py.status !== 0) throw new Error(`sklearn peer failed: ${py.stderr}`);
        const res = JSON.parse(py.stdout.trim().split('\n').pop()!);
        skTimes = res.fit_s;
        skOob = res.oob;
      }
      const ll = median(times);
      const sk = median(skTimes);
      console.log(
        `n=${m.rows} d=${m.cols}: latentlens fit ${times.map((t) => t.toFixed(2)).join(' ')} s (oob ${oob.toFixed(4)}); sklearn ${skTimes.map((t) => t.toFixed(2)).join(' ')} s (oob ${skOob.toFixed(4)})`,
      );
      cases.push({
        n: m.rows,
        d: m.cols,
        latentlens_fit_s: round(ll),
        sklearn_fit_s: round(sk),
        speedup: round(sk / ll),
        latentlens_oob: round(oob, 4),
        sklearn_oob: round(skOob, 4),
      });
    }
    // PIMP null on (b): nNull refits on permuted labels, grouped statistic per map.
    const binned = binMatrix(data.full);
    const t0 = performance.now();
    const nul = await pimpNull(binned, data.labels, {
      groupOf: data.groupOf,
      nGroups: data.nGroups,
      permutations: nNull,
      forest: { nTrees: 100, threads },
      seed: 7,
      onProgress: (done, total) => {
        if (done % 10 === 0) console.log(`pimp null: ${done}/${total}  ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      },
    });
    const pimpS = (performance.now() - t0) / 1000;
    console.log(`pimp null: ${nNull} permutations x 100 trees in ${pimpS.toFixed(1)} s (statistic ${nul.statistic})`);
    await closeSharedPool();
    console.log(JSON.stringify({ suite: 'forest', cases, pimp100_s: round(pimpS * (100 / nNull)) }));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

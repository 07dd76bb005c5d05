// Latent maps to a table of columns: the one pooling vocabulary of rank, the metrics, embed and the explorer.
import type { Table } from '../core/table.js';
import type { LatentMaps } from './encode.js';

/** 'mean': one column per map; 'summary': mean, max and std per map; 'grid': every cell of every map. */
export type Pooling = 'mean' | 'summary' | 'grid';
export const POOLINGS: readonly Pooling[] = ['mean', 'summary', 'grid'];

/** The pooling named `value`, or an error naming `flag` and the `allowed` choices. */
export function parsePooling<P extends Pooling>(value: unknown, allowed: readonly P[], flag = '--pooling'): P {
  if (!allowed.includes(value as P)) throw new Error(`${flag} ${String(value)}: expected ${allowed.join(', ')}`);
  return value as P;
}

/**
 * A table of maps N x K x (cells) — h x w, or d x h x w for volumes — with one group per map (`map K`).
 * Column names: `mapK` for 'mean' (and for 1 x 1 maps under 'grid'), `mapK@row,col` for 'grid' with
 * row = z·h + y for volumes, `mapK:mean|max|std` for 'summary'.
 */
export function poolLatents(maps: LatentMaps, pooling: Pooling): Table {
  const [n, k] = maps.shape;
  const w = maps.shape[maps.shape.length - 1]!;
  const cells = maps.shape.slice(2).reduce((a, b) => a * b, 1);
  if (!POOLINGS.includes(pooling)) throw new Error(`pooling ${String(pooling)}: expected ${POOLINGS.join(', ')}`);
  const per = pooling === 'grid' ? cells : pooling === 'summary' ? 3 : 1;
  const data = pooling === 'grid' ? maps.data.slice(0, n * k * cells) : new Float32Array(n * k * per);
  if (pooling !== 'grid') {
    for (let i = 0; i < n; i++)
      for (let m = 0; m < k; m++) {
        const off = (i * k + m) * cells;
        const out = (i * k + m) * per;
        let s = 0,
          ss = 0,
          mx = -Infinity;
        for (let p = 0; p < cells; p++) {
          const v = maps.data[off + p]!;
          s += v;
          ss += v * v;
          if (v > mx) mx = v;
        }
        const mean = s / cells;
        data[out] = mean;
        if (per === 3) {
          data[out + 1] = mx;
          data[out + 2] = Math.sqrt(Math.max(0, ss / cells - mean * mean));
        }
      }
  }
  const names = Array.from({ length: k * per }, (_, c) => {
    const m = Math.floor(c / per);
    if (pooling === 'summary') return `map${m}:${(['mean', 'max', 'std'] as const)[c % per]}`;
    if (per === 1) return `map${m}`;
    const p = c % per;
    return `map${m}@${Math.floor(p / w)},${p % w}`;
  });
  return {
    data,
    rows: n,
    cols: k * per,
    names,
    groupOf: Int32Array.from({ length: k * per }, (_, c) => Math.floor(c / per)),
    groupNames: Array.from({ length: k }, (_, m) => `map ${m}`),
  };
}

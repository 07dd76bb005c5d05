// The reference cases of a class-contrastive attribution: which cases of the other classes the explained
// cases are compared with. "The first N negative cases" is a biased choice wherever the case order means
// something (the first slices of a volume are its smallest sections), and a random one still compares
// whatever differs between the classes besides the label (anatomy, slice level). So:
// - with nuisance statistics (foreground area, median intensity, slice index; design.ts): each explained
//   case is matched to the reference case closest in the standardised statistics (z-scores over the
//   explained and candidate cases; constant statistics dropped), without replacement, by global greedy
//   nearest-neighbour matching (the closest unused pair first) — `method: 'matched'`;
// - without them: a seeded random sample of the candidates — `method: 'random'`.
// `meanDistance` is the matched (or sampled) pairs' mean distance in the standardised statistics and
// `randomMeanDistance` the mean over all explained x candidate pairs (what random pairing gives on average).
import { randomStream } from '../core/random.js';

export interface ReferenceChoice {
  /** Reference case indices; for 'matched', the matches in the order of the explained cases (fewer when candidates run out). */
  reference: number[];
  method: 'matched' | 'random' | 'none';
  /** The nuisance statistics matched on (those that vary). */
  statistics: string[];
  /** Mean standardised distance of the chosen pairs (explained[i], reference[i]); null without statistics. */
  meanDistance: number | null;
  /** Mean standardised distance over all explained x candidate pairs; null without statistics. */
  randomMeanDistance: number | null;
}

export interface ReferenceOptions {
  /** Cases drawn when sampling at random. */
  count: number;
  seed: number;
  /** Nuisance statistics of every case (row-major cases x names.length, indexed like the case indices). */
  nuisance?: { names: string[]; values: ArrayLike<number> } | null;
}

/** Chooses the reference cases among `candidates` for the `explained` cases (see the header). */
export function chooseReference(explained: number[], candidates: number[], o: ReferenceOptions): ReferenceChoice {
  if (candidates.length === 0) return { reference: [], method: 'none', statistics: [], meanDistance: null, randomMeanDistance: null };
  const nu = o.nuisance;
  const F = nu?.names.length ?? 0;
  // Standardise over the explained and candidate cases; keep statistics that vary.
  const rows = [...explained, ...candidates];
  const keep: { j: number; mean: number; sd: number }[] = [];
  for (let j = 0; j < F; j++) {
    let s = 0,
      s2 = 0;
    for (const r of rows) {
      const v = Number(nu!.values[r * F + j]);
      s += v;
      s2 += v * v;
    }
    const mean = s / rows.length;
    const sd = Math.sqrt(Math.max(0, s2 / rows.length - mean * mean));
    if (sd > 1e-12 * Math.max(1, Math.abs(mean))) keep.push({ j, mean, sd });
  }
  const z = (r: number): Float64Array => Float64Array.from(keep, ({ j, mean, sd }) => (Number(nu!.values[r * F + j]) - mean) / sd);
  const dist = (a: Float64Array, b: Float64Array): number => {
    let d = 0;
    for (let q = 0; q < a.length; q++) d += (a[q]! - b[q]!) ** 2;
    return Math.sqrt(d);
  };
  const rnd = randomStream(o.seed, 'reference');
  if (keep.length === 0 || explained.length === 0) {
    const order = Array.from(rnd.permutation(candidates.length), (i) => candidates[i]!);
    return {
      reference: order.slice(0, Math.min(o.count, candidates.length)),
      method: 'random',
      statistics: [],
      meanDistance: null,
      randomMeanDistance: null,
    };
  }
  const ze = explained.map(z);
  const zc = candidates.map(z);
  const m = explained.length,
    p = candidates.length;
  const d = new Float64Array(m * p);
  let total = 0;
  for (let i = 0; i < m; i++)
    for (let k = 0; k < p; k++) {
      d[i * p + k] = dist(ze[i]!, zc[k]!);
      total += d[i * p + k]!;
    }
  // Global greedy: pairs by distance (ties by a seeded random order), each case used once.
  const pairs = Array.from(rnd.permutation(m * p));
  pairs.sort((a, b) => d[a]! - d[b]!);
  const matchOf = new Int32Array(m).fill(-1);
  const used = new Uint8Array(p);
  let left = Math.min(m, p);
  for (const q of pairs) {
    if (left === 0) break;
    const i = Math.floor(q / p),
      k = q % p;
    if (matchOf[i] !== -1 || used[k]) continue;
    matchOf[i] = k;
    used[k] = 1;
    left--;
  }
  const reference: number[] = [];
  let sum = 0;
  for (let i = 0; i < m; i++) {
    if (matchOf[i] === -1) continue;
    reference.push(candidates[matchOf[i]!]!);
    sum += d[i * p + matchOf[i]!]!;
  }
  return {
    reference,
    method: 'matched',
    statistics: keep.map(({ j }) => nu!.names[j]!),
    meanDistance: sum / reference.length,
    randomMeanDistance: total / (m * p),
  };
}

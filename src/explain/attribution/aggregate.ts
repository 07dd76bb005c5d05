// From per-case attributions to answers about a set of cases, with bootstrap intervals:
// the mean channel share, and the class-contrastive share E[A_c | positive] - E[A_c | reference], which
// removes what every case's attribution contains (anatomy, a label-independent distractor) and keeps what
// distinguishes the cases that carry the label: the controlled answer to "which input image".
import { Random } from '../../core/random.js';
import { bootstrapMeanCI, mean } from '../../core/stats.js';
import type { AttributionResult } from './types.js';

export interface ChannelShareSummary {
  channels: string[];
  /** Mean per-case share per channel, with 95% bootstrap intervals over cases. */
  mean: number[];
  ci: [number, number][];
}

export function summarizeShares(r: AttributionResult, channels: string[], seed = 0): ChannelShareSummary | null {
  if (!r.channelShare) return null;
  const [n, c] = r.shape;
  const cols = channels.map((_, ch) => Float64Array.from({ length: n }, (_, i) => r.channelShare![i * c + ch]!));
  return { channels, mean: cols.map((v) => mean(v)), ci: cols.map((v, ch) => bootstrapMeanCI(v, 0.95, 1000, seed + ch)) };
}

/** Sum of the signed attribution of each channel, per case: N x C (by completeness, each channel's part of f(x) - f(baseline)). */
export function channelSums(r: AttributionResult): Float64Array {
  const [n, c, h, w] = r.shape;
  const out = new Float64Array(n * c);
  for (let i = 0; i < n * c; i++) {
    let s = 0;
    for (let p = 0; p < h * w; p++) s += r.heatmaps[i * h * w + p]!;
    out[i] = s;
  }
  return out;
}

export interface ContrastiveShares {
  channels: string[];
  /** E[channel sum | positive] - E[channel sum | reference], per channel. */
  difference: number[];
  /** The differences agreeing in sign with their total, normalised to shares (sum 1). */
  share: number[];
  /** 95% bootstrap intervals of the shares (cases resampled within each group). */
  ci: [number, number][];
}

function sharesOf(d: number[]): number[] {
  const total = d.reduce((a, b) => a + b, 0);
  const sign = total >= 0 ? 1 : -1;
  const kept = d.reduce((a, v) => a + Math.max(0, sign * v), 0);
  return d.map((v) => (kept > 0 ? Math.max(0, sign * v) / kept : 1 / d.length));
}

/** Class-contrastive channel shares of two attribution results made with the same target and baseline. */
export function contrastiveShares(
  positive: AttributionResult,
  reference: AttributionResult,
  channels: string[],
  resamples = 1000,
  seed = 0,
): ContrastiveShares {
  const c = positive.shape[1];
  const sp = channelSums(positive),
    sr = channelSums(reference);
  const np = positive.shape[0],
    nr = reference.shape[0];
  const diff = (ip: ArrayLike<number>, ir: ArrayLike<number>) =>
    Array.from({ length: c }, (_, ch) => {
      let a = 0,
        b = 0;
      for (let j = 0; j < ip.length; j++) a += sp[ip[j]! * c + ch]!;
      for (let j = 0; j < ir.length; j++) b += sr[ir[j]! * c + ch]!;
      return a / ip.length - b / ir.length;
    });
  const all = (n: number) => Int32Array.from({ length: n }, (_, i) => i);
  const difference = diff(all(np), all(nr));
  const rnd = new Random(seed);
  const boots: number[][] = Array.from({ length: c }, () => []);
  for (let b = 0; b < resamples; b++) {
    const ip = Int32Array.from({ length: np }, () => rnd.int(np));
    const ir = Int32Array.from({ length: nr }, () => rnd.int(nr));
    sharesOf(diff(ip, ir)).forEach((s, ch) => boots[ch]!.push(s));
  }
  const ci = boots.map((v) => {
    v.sort((a, b) => a - b);
    return [v[Math.floor(0.025 * resamples)]!, v[Math.min(resamples - 1, Math.ceil(0.975 * resamples) - 1)]!] as [number, number];
  });
  return { channels, difference, share: sharesOf(difference), ci };
}

// Synthetic factors with known answers for the metric tests: independent discrete and continuous
// factors, latents equal to them (standardised), a random rotation of those, and pure noise.
import { Random } from '../../src/core/random.js';
import type { FactorTable } from '../../src/metrics/index.js';

export interface Synthetic {
  factors: FactorTable;
  identity: Float32Array;
  rotated: Float32Array;
  noise: Float32Array;
  n: number;
  d: number;
}

/** A random orthogonal d x d matrix (Gram-Schmidt on Gaussian columns), row-major. */
export function randomRotation(d: number, rnd: Random): Float64Array {
  const q = new Float64Array(d * d);
  for (let c = 0; c < d; c++) {
    const v = Array.from({ length: d }, () => rnd.normal());
    for (let p = 0; p < c; p++) {
      let dot = 0;
      for (let r = 0; r < d; r++) dot += v[r]! * q[r * d + p]!;
      for (let r = 0; r < d; r++) v[r] -= dot * q[r * d + p]!;
    }
    const norm = Math.hypot(...v);
    for (let r = 0; r < d; r++) q[r * d + c] = v[r]! / norm;
  }
  return q;
}

export function rotate(z: Float32Array, n: number, d: number, q: Float64Array): Float32Array {
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++)
    for (let r = 0; r < d; r++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += q[r * d + c]! * z[i * d + c]!;
      out[i * d + r] = s;
    }
  return out;
}

export function synthetic(n = 2000, seed = 1): Synthetic {
  const rnd = new Random(seed);
  const names = ['binary', 'four_level', 'size', 'x', 'y'];
  const d = names.length;
  const values = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    values[i * d] = rnd.int(2);
    values[i * d + 1] = rnd.int(4);
    values[i * d + 2] = rnd.uniform(0.05, 0.12);
    values[i * d + 3] = rnd.uniform(0.3, 0.7);
    values[i * d + 4] = rnd.uniform(0, 10);
  }
  // Standardised so that a rotation mixes factors on equal terms.
  const identity = new Float32Array(n * d);
  for (let k = 0; k < d; k++) {
    let m = 0,
      v = 0;
    for (let i = 0; i < n; i++) m += values[i * d + k]!;
    m /= n;
    for (let i = 0; i < n; i++) v += (values[i * d + k]! - m) ** 2;
    const sd = Math.sqrt(v / n);
    for (let i = 0; i < n; i++) identity[i * d + k] = (values[i * d + k]! - m) / sd;
  }
  const rotated = rotate(identity, n, d, randomRotation(d, rnd));
  const noise = Float32Array.from({ length: n * d }, () => rnd.normal());
  return { factors: { names, values, discrete: [true, true, false, false, false] }, identity, rotated, noise, n, d };
}

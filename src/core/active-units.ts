// Active units (Burda et al. 2016): latent dimensions whose value varies across the data. Used by the
// disentanglement metrics and by the training health gate, so it lives below both.
import { columnVariance, type Matrix } from './table.js';

export interface ActiveUnitsResult {
  count: number;
  threshold: number;
  active: boolean[];
  variance: number[];
}

/**
 * Dimensions (columns of `z`, one row per case) whose variance across cases exceeds `threshold` (0.01
 * default, meaningful against a unit-variance prior). For deterministic autoencoders the latent scale is
 * arbitrary, so the count says little there.
 */
export function activeUnits(z: Matrix, threshold = 0.01): ActiveUnitsResult {
  const variance = Array.from(columnVariance(z));
  const active = variance.map((v) => v > threshold);
  return { count: active.filter(Boolean).length, threshold, active, variance };
}

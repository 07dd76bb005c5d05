// Top-activating dataset exemplars of a map: the cases with the highest (and lowest) pooled activation.

export interface Exemplars {
  map: number;
  /** Case indices, highest activation first, and their activations. */
  top: { index: number; activation: number; id?: string }[];
  bottom: { index: number; activation: number; id?: string }[];
}

/** `pooled`: N x K mean activations (row-major). */
export function exemplars(pooled: Float32Array, n: number, k: number, map: number, count = 8, ids?: string[]): Exemplars {
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => pooled[b * k + map]! - pooled[a * k + map]!);
  const pick = (idx: number[]) => idx.map((i) => ({ index: i, activation: pooled[i * k + map]!, ...(ids ? { id: ids[i] } : {}) }));
  return { map, top: pick(order.slice(0, count)), bottom: pick(order.slice(-count).reverse()) };
}

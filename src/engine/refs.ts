// Converting values that mix tensors with numbers and strings (TorchScript and untyped op calls):
// Tensor -> handle on the way in, {tensor: handle} -> Tensor on the way out.
import type { NativeValue, TensorRef } from './native.js';
import { Tensor } from './tensor.js';

export type NativeResult = Tensor | number | boolean | string | null | NativeResult[] | { [k: string]: NativeResult };

export function toHandles(v: unknown): unknown {
  if (v instanceof Tensor) return v.id;
  if (Array.isArray(v)) return v.map(toHandles);
  return v;
}

export function fromRefs(v: NativeValue): NativeResult {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(fromRefs);
  if (typeof (v as TensorRef).tensor === 'number' && Object.keys(v).length === 1) return new Tensor((v as TensorRef).tensor);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromRefs(x as NativeValue)]));
}

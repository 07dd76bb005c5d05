// Cached handles on ATen operators. `aten('conv2d')` or `aten('add.Tensor')` names an op and overload as
// in PyTorch's native_functions.yaml; the addon converts arguments from the op's schema.
import { native, type NativeOp } from './native.js';

const cache = new Map<string, NativeOp>();

/** The handle for `name[.overload]` (aten ops without the `aten::` prefix; latentlens' own as `latentlens::name`), created on first use. */
export function aten(key: string): NativeOp {
  let op = cache.get(key);
  if (!op) {
    const dot = key.indexOf('.');
    const name = dot < 0 ? key : key.slice(0, dot);
    op = new native.Op(name.includes('::') ? name : `aten::${name}`, dot < 0 ? '' : key.slice(dot + 1));
    cache.set(key, op);
  }
  return op;
}

/** Reduction codes of ATen's loss functions. */
export const Reduction = { none: 0, mean: 1, sum: 2 } as const;
export type ReductionName = keyof typeof Reduction;

// Gradient mode and functional gradients.
import { native } from './native.js';
import { Tensor } from './tensor.js';

/** Runs fn with gradient recording off (like torch.no_grad); async functions keep it off until they settle. */
export function noGrad<T>(fn: () => T): T {
  const was = native.isGradEnabled();
  native.setGradEnabled(false);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    native.setGradEnabled(was);
    throw err;
  }
  if (result instanceof Promise) {
    return result.finally(() => native.setGradEnabled(was)) as T;
  }
  native.setGradEnabled(was);
  return result;
}

export const isGradEnabled = (): boolean => native.isGradEnabled();

export interface GradOptions {
  /** Weights of the outputs (the vector in a vector-Jacobian product); default ones for scalar outputs. */
  gradOutputs?: Tensor[];
  retainGraph?: boolean;
  /** Build a graph of the gradient itself, for higher derivatives. */
  createGraph?: boolean;
  /** Return null for inputs the outputs do not depend on, instead of throwing. */
  allowUnused?: boolean;
}

/** d outputs / d inputs without touching any `.grad` (like torch.autograd.grad). */
export function grad(outputs: Tensor | Tensor[], inputs: Tensor | Tensor[], o: GradOptions = {}): (Tensor | null)[] {
  const outs = Array.isArray(outputs) ? outputs : [outputs];
  const ins = Array.isArray(inputs) ? inputs : [inputs];
  const r = native.tensor.autogradGrad(
    outs.map((t) => t.id),
    ins.map((t) => t.id),
    o.gradOutputs?.map((t) => t.id) ?? null,
    o.retainGraph,
    o.createGraph ?? false,
    o.allowUnused ?? false,
  );
  return r.map((g) => (g === null ? null : new Tensor(g)));
}

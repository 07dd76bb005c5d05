// Module: the base of every layer and model. Parameters, buffers and children are registered by name,
// so named parameters come out dotted exactly as PyTorch names them ("encoder.0.weight").
import { noGrad } from '../engine/autograd.js';
import { keep, scope } from '../engine/scope.js';
import type { Tensor } from '../engine/tensor.js';

const FLOATING = new Set(['float32', 'float64', 'float16', 'bfloat16']);

/**
 * Checks a value about to be copied into a module's tensor `dst` (named `name`): the same shape, the
 * same dtype (copying an int32 tensor into float32 weights would silently turn whatever the file held
 * into other numbers), and, for floating tensors, only finite values (NaN weights make every later
 * analysis return nulls). One native isfinite pass per tensor. Throws naming the tensor.
 */
export function checkStateValue(name: string, value: Tensor, dst: Tensor): void {
  if (value.shape.join() !== dst.shape.join()) {
    throw new RangeError(`loadStateDict: '${name}' has shape [${value.shape}], the module expects [${dst.shape}]`);
  }
  if (value.dtype !== dst.dtype) {
    throw new TypeError(
      `loadStateDict: '${name}' is ${value.dtype}, the module's tensor is ${dst.dtype}; expected a ${dst.dtype} tensor (values of another dtype are not converted)`,
    );
  }
  if (FLOATING.has(value.dtype) && value.numel > 0) {
    const bad = value.numel - scope(() => value.isfinite().float().sum().item());
    if (bad > 0)
      throw new RangeError(
        `loadStateDict: '${name}' holds ${bad} NaN or Inf value${bad === 1 ? '' : 's'} of ${value.numel}; expected finite weights (was the model saved after training diverged?)`,
      );
  }
}

export abstract class Module {
  training = true;
  private readonly ownParams = new Map<string, Tensor>();
  private readonly ownBuffers = new Map<string, Tensor>();
  private readonly ownChildren = new Map<string, Module>();

  /** Registers a trainable tensor; it lives outside every scope until dispose(). */
  protected registerParameter(name: string, t: Tensor): Tensor {
    this.ownParams.get(name)?.dispose();
    this.ownParams.set(name, keep(t.requiresGrad ? t : t.requiresGrad_(true)));
    return t;
  }
  /** Registers state that is saved but not trained (e.g. batch-norm running statistics). */
  protected registerBuffer(name: string, t: Tensor): Tensor {
    this.ownBuffers.get(name)?.dispose();
    this.ownBuffers.set(name, keep(t));
    return t;
  }
  protected registerModule<M extends Module>(name: string, m: M): M {
    this.ownChildren.set(name, m);
    return m;
  }

  children(): [string, Module][] {
    return [...this.ownChildren];
  }

  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.ownChildren) out.push(...child.namedModules(prefix ? `${prefix}.${name}` : name));
    return out;
  }

  namedParameters(prefix = ''): [string, Tensor][] {
    return this.collect(prefix, (m) => m.ownParams);
  }
  namedBuffers(prefix = ''): [string, Tensor][] {
    return this.collect(prefix, (m) => m.ownBuffers);
  }
  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  private collect(prefix: string, pick: (m: Module) => Map<string, Tensor>): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [path, m] of this.namedModules(prefix)) {
      for (const [name, t] of pick(m)) out.push([path ? `${path}.${name}` : name, t]);
    }
    return out;
  }

  /** Parameters and buffers by dotted name (the tensors themselves, not copies). */
  stateDict(): Map<string, Tensor> {
    return new Map([...this.namedParameters(), ...this.namedBuffers()]);
  }

  /**
   * Copies values into this module's tensors. Strict (default): every name must match both ways; the
   * error lists what is missing and unexpected. Always: shapes and dtypes must agree and floating values
   * be finite (`checkStateValue`); nothing is copied until every value has passed.
   */
  loadStateDict(state: Map<string, Tensor> | Record<string, Tensor>, strict = true): void {
    const src = state instanceof Map ? state : new Map(Object.entries(state));
    const own = this.stateDict();
    const missing = [...own.keys()].filter((k) => !src.has(k));
    const unexpected = [...src.keys()].filter((k) => !own.has(k));
    if (strict && (missing.length > 0 || unexpected.length > 0)) {
      throw new Error(`loadStateDict: missing ${JSON.stringify(missing)}, unexpected ${JSON.stringify(unexpected)}`);
    }
    noGrad(() => {
      const pairs: [Tensor, Tensor][] = [];
      for (const [name, dst] of own) {
        const v = src.get(name);
        if (!v) continue;
        checkStateValue(name, v, dst);
        pairs.push([dst, v]);
      }
      for (const [dst, v] of pairs) dst.copy_(v);
    });
  }

  train(on = true): this {
    for (const [, m] of this.namedModules()) m.training = on;
    return this;
  }
  eval(): this {
    return this.train(false);
  }

  /** Frees every parameter and buffer of this module and its children. */
  dispose(): void {
    for (const [, t] of [...this.namedParameters(), ...this.namedBuffers()]) t.dispose();
  }

  abstract forward(...inputs: Tensor[]): Tensor;
}

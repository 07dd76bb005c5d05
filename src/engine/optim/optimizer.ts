// Base of the optimizers: parameter groups, zeroing gradients, per-parameter state, state dict.
import { noGrad } from '../autograd.js';
import { keep } from '../scope.js';
import type { Tensor } from '../tensor.js';

export abstract class Optimizer {
  protected readonly state = new Map<Tensor, Record<string, Tensor>>();
  stepCount = 0;

  constructor(
    readonly params: Tensor[],
    public lr: number,
  ) {
    if (!(lr > 0)) throw new RangeError(`optimizer: learning rate must be positive, got ${lr}`);
  }

  /** Drops every gradient (like PyTorch's zero_grad(set_to_none=True)). */
  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }

  /** One update from the current gradients; parameters without a gradient are skipped. */
  step(): void {
    this.stepCount++;
    noGrad(() => {
      for (const p of this.params) {
        const grad = p.grad;
        if (!grad) continue;
        this.update(p, grad, this.stateOf(p));
        grad.dispose();
      }
    });
  }

  protected abstract update(p: Tensor, grad: Tensor, state: Record<string, Tensor>): void;

  private stateOf(p: Tensor): Record<string, Tensor> {
    let s = this.state.get(p);
    if (!s) this.state.set(p, (s = {}));
    return s;
  }

  /** A state buffer that outlives scopes (freed by dispose()). */
  protected buffer(t: Tensor): Tensor {
    return keep(t);
  }

  /** Per-parameter state buffers in parameter order, for checkpoints. */
  stateDict(): { step: number; lr: number; state: Record<string, Tensor>[] } {
    return { step: this.stepCount, lr: this.lr, state: this.params.map((p) => ({ ...(this.state.get(p) ?? {}) })) };
  }

  loadStateDict(d: { step: number; lr: number; state: Record<string, Tensor>[] }): void {
    if (d.state.length !== this.params.length) {
      throw new RangeError(`optimizer state has ${d.state.length} parameters, this optimizer has ${this.params.length}`);
    }
    this.dispose();
    this.stepCount = d.step;
    this.lr = d.lr;
    d.state.forEach((s, i) => this.state.set(this.params[i]!, Object.fromEntries(Object.entries(s).map(([k, v]) => [k, keep(v.clone())]))));
  }

  dispose(): void {
    for (const s of this.state.values()) for (const t of Object.values(s)) t.dispose();
    this.state.clear();
  }
}

// Stochastic gradient descent with momentum, dampening, Nesterov and weight decay (PyTorch's rule).
import type { Tensor } from '../tensor.js';
import { Optimizer } from './optimizer.js';

export interface SGDOptions {
  /** Learning rate (required: SGD has no sensible default). */
  lr: number;
  /** Momentum factor; default 0. */
  momentum?: number;
  /** Dampening of momentum; default 0. */
  dampening?: number;
  /** L2 penalty; default 0. */
  weightDecay?: number;
  /** Nesterov momentum; default false. */
  nesterov?: boolean;
}

export class SGD extends Optimizer {
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;

  constructor(params: Tensor[], o: SGDOptions) {
    super(params, o.lr);
    this.momentum = o.momentum ?? 0;
    this.dampening = o.dampening ?? 0;
    this.weightDecay = o.weightDecay ?? 0;
    this.nesterov = o.nesterov ?? false;
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new RangeError('SGD: Nesterov momentum needs momentum > 0 and dampening 0');
    }
  }

  protected update(p: Tensor, grad: Tensor, s: Record<string, Tensor>): void {
    let d = this.weightDecay !== 0 ? grad.add(p, this.weightDecay) : grad;
    if (this.momentum !== 0) {
      if (!s.momentumBuffer) s.momentumBuffer = this.buffer(d.clone());
      else s.momentumBuffer.mul_(this.momentum).add_(d, 1 - this.dampening);
      d = this.nesterov ? d.add(s.momentumBuffer, this.momentum) : s.momentumBuffer;
    }
    p.add_(d, -this.lr);
  }
}

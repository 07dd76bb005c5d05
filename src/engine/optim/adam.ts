// Adam (Kingma & Ba) and AdamW (decoupled weight decay), as PyTorch 1.13 computes them.
import { zerosLike } from '../create.js';
import type { Tensor } from '../tensor.js';
import { Optimizer } from './optimizer.js';

export interface AdamOptions {
  /** Learning rate; default 1e-3. */
  lr?: number;
  /** Decay rates of the first and second moment estimates; default [0.9, 0.999]. */
  betas?: [number, number];
  /** Added to the denominator for stability; default 1e-8. */
  eps?: number;
  /** L2 penalty added to the gradient (Adam) or decoupled decay (AdamW); default 0 (AdamW: 1e-2). */
  weightDecay?: number;
}

export class Adam extends Optimizer {
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  protected readonly decoupled: boolean = false;

  constructor(params: Tensor[], o: AdamOptions = {}) {
    super(params, o.lr ?? 1e-3);
    this.betas = o.betas ?? [0.9, 0.999];
    this.eps = o.eps ?? 1e-8;
    this.weightDecay = o.weightDecay ?? this.defaultWeightDecay();
  }

  protected defaultWeightDecay(): number {
    return 0;
  }

  protected update(p: Tensor, grad: Tensor, s: Record<string, Tensor>): void {
    const [b1, b2] = this.betas;
    const m = (s.expAvg ??= this.buffer(zerosLike(p)));
    const v = (s.expAvgSq ??= this.buffer(zerosLike(p)));
    let g = grad;
    if (this.weightDecay !== 0) {
      if (this.decoupled) p.mul_(1 - this.lr * this.weightDecay);
      else g = grad.add(p, this.weightDecay);
    }
    m.mul_(b1).add_(g, 1 - b1);
    v.mul_(b2).addcmul_(g, g, 1 - b2);
    const bc1 = 1 - b1 ** this.stepCount;
    const bc2 = 1 - b2 ** this.stepCount;
    const denom = v.sqrt().div_(Math.sqrt(bc2)).add_(this.eps);
    p.addcdiv_(m, denom, -this.lr / bc1);
    denom.dispose();
    if (g !== grad) g.dispose();
  }
}

export class AdamW extends Adam {
  protected override readonly decoupled = true;
  protected override defaultWeightDecay(): number {
    return 1e-2;
  }
}

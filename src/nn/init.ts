// Weight initialisation, in place, drawing from libtorch's seeded global generator, or inside the engine's
// withGenerator from that generator (library code that builds a small net, e.g. TCAV's label head, so it
// leaves global random state alone). The defaults reproduce PyTorch's reset_parameters():
// kaiming_uniform(a=sqrt(5)) weights, i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
import { noGrad } from '../engine/autograd.js';
import { callAten } from '../engine/functional.js';
import { currentGenerator } from '../engine/generator.js';
import type { Tensor } from '../engine/tensor.js';

/** fan_in and fan_out as PyTorch computes them: dims 1 and 0 times the receptive field size. */
export function fans(t: Tensor): { fanIn: number; fanOut: number } {
  const s = t.shape;
  if (s.length < 2) throw new RangeError(`fans: need at least 2 dimensions, got [${s}]`);
  const receptive = s.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: s[1]! * receptive, fanOut: s[0]! * receptive };
}

function inPlace(key: string, t: Tensor, args: unknown[], named?: Record<string, unknown>): Tensor {
  noGrad(() => (callAten(key, [t, ...args], named) as Tensor).dispose());
  return t;
}

const drawFrom = () => {
  const generator = currentGenerator();
  return generator ? { generator } : undefined;
};
export const uniform_ = (t: Tensor, low: number, high: number) => inPlace('uniform_', t, [low, high], drawFrom());
export const normal_ = (t: Tensor, mean = 0, std = 1) => inPlace('normal_', t, [mean, std], drawFrom());
export const constant_ = (t: Tensor, v: number) => inPlace('fill_.Scalar', t, [v]);

/** He/Kaiming uniform: bound = gain * sqrt(3 / fan_in), gain = sqrt(2 / (1 + a^2)). */
export function kaimingUniform_(t: Tensor, a = 0): Tensor {
  const bound = Math.sqrt(2 / (1 + a * a)) * Math.sqrt(3 / fans(t).fanIn);
  return uniform_(t, -bound, bound);
}

/** Glorot/Xavier uniform: bound = gain * sqrt(6 / (fan_in + fan_out)). */
export function xavierUniform_(t: Tensor, gain = 1): Tensor {
  const { fanIn, fanOut } = fans(t);
  const bound = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -bound, bound);
}

/** PyTorch's default for Linear and Conv layers: weight kaiming_uniform(a=sqrt(5)), bias U(+-1/sqrt(fan_in)). */
export function resetLinearLike(weight: Tensor, bias: Tensor | null): void {
  kaimingUniform_(weight, Math.sqrt(5));
  if (bias) {
    const bound = 1 / Math.sqrt(fans(weight).fanIn);
    uniform_(bias, -bound, bound);
  }
}

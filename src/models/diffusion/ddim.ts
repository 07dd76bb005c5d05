// DDIM sampling and inversion (Song et al. 2021) over a noise predictor eps(x_t, t), and the forward
// process q(x_t | x_0). With eta = 0 a decoding is a deterministic map x_T -> x_0, and running the same
// ODE steps the other way (inversion, as in Diff-AE) maps an image to the x_T that decodes back to it;
// eta > 0 adds fresh noise each step, drawn from an explicit generator (never libtorch's global one).
import { noGrad } from '../../engine/autograd.js';
import { randn } from '../../engine/create.js';
import type { Generator } from '../../engine/generator.js';
import { scope } from '../../engine/scope.js';
import { tensor, type Tensor } from '../../engine/tensor.js';
import { ddimTimesteps, type NoiseSchedule } from './schedule.js';

/** The noise a model predicts in x at timestep t (the conditioning is closed over by the caller). */
export type EpsModel = (x: Tensor, t: number) => Tensor;

export interface DdimOptions {
  /** DDIM steps N (model evaluations of a decoding). Default 20. */
  steps?: number;
  /** 0: deterministic (default). 1: DDPM-like variance. Values above 0 need `generator`. */
  eta?: number;
  /** Noise of eta > 0. */
  generator?: Generator;
  /**
   * Clamp each step's x_0 estimate to [-1, 1] (the data's range) and take the noise implied by the
   * clamped estimate, as guided-diffusion and Diff-AE sample: the first steps divide by sqrt(alpha-bar)
   * near 0 and would otherwise throw an imperfect model far outside the data. Default true.
   */
  clip?: boolean;
}

/** sqrt(alphaBar_t) x_0 + sqrt(1 - alphaBar_t) noise, with one alpha-bar per case (x_0 N x ...). */
export function qSample(x0: Tensor, noise: Tensor, alphaBar: readonly number[]): Tensor {
  const n = x0.shape[0]!;
  if (alphaBar.length !== n) throw new RangeError(`qSample: ${alphaBar.length} alpha-bars for ${n} cases`);
  // Per-case coefficients as N x 1 x ... tensors, computed in float64 on the JS side.
  const shape = [n, ...x0.shape.slice(1).map(() => 1)];
  return scope(() => {
    const a = tensor(
      Float32Array.from(alphaBar, (v) => Math.sqrt(v)),
      shape,
    );
    const b = tensor(
      Float32Array.from(alphaBar, (v) => Math.sqrt(1 - v)),
      shape,
    );
    return x0.mul(a).add(noise.mul(b));
  });
}

// The x_0 that x at alpha-bar `a` and predicted noise eps imply; with `clip`, clamped to [-1, 1] and
// the noise recomputed from the clamped x_0 (identical to eps when nothing was clamped).
function predict(x: Tensor, eps: Tensor, a: number, clip: boolean): { x0: Tensor; eps: Tensor } {
  const x0 = x.sub(eps.mul(Math.sqrt(1 - a))).div(Math.sqrt(a));
  if (!clip) return { x0, eps };
  const c = x0.clamp(-1, 1);
  return { x0: c, eps: x.sub(c.mul(Math.sqrt(a))).div(Math.sqrt(1 - a)) };
}

/**
 * Decodes x_T (at the grid's last timestep) to x_0 in N steps; returns the model's x_0 estimate at
 * t = 0 (not clamped: callers map it to their pixel range).
 */
export function ddimDecode(eps: EpsModel, xT: Tensor, schedule: NoiseSchedule, o: DdimOptions = {}): Tensor {
  const eta = o.eta ?? 0;
  if (eta < 0) throw new RangeError(`DDIM: eta must be >= 0, got ${eta}`);
  if (eta > 0 && !o.generator)
    throw new Error('DDIM: eta > 0 draws noise; pass a generator (library calls never use the global random state)');
  const ts = ddimTimesteps(schedule, o.steps ?? 20);
  const ab = schedule.alphaBar;
  return noGrad(() => {
    let x = xT;
    for (let i = ts.length - 1; i >= 0; i--) {
      const a = ab[ts[i]!]!;
      const aPrev = i > 0 ? ab[ts[i - 1]!]! : 1;
      const next = scope(() => {
        const { x0, eps: e } = predict(x, eps(x, ts[i]!), a, o.clip ?? true);
        if (i === 0) return x0;
        const sigma = eta * Math.sqrt((1 - aPrev) / (1 - a)) * Math.sqrt(1 - a / aPrev);
        let out = x0.mul(Math.sqrt(aPrev)).add(e.mul(Math.sqrt(Math.max(0, 1 - aPrev - sigma * sigma))));
        if (sigma > 0) out = out.add(randn(x.shape, { generator: o.generator! }).mul(sigma));
        return out;
      });
      if (x !== xT) x.dispose();
      x = next;
    }
    return x;
  });
}

/**
 * DDIM inversion: x_0 (taken as x at t = 0) to x_T along the same grid, N - 1 model evaluations; always
 * deterministic (eta 0). ddimDecode of the result reconstructs x_0 up to the ODE's discretisation error.
 */
export function ddimInvert(eps: EpsModel, x0: Tensor, schedule: NoiseSchedule, o: Pick<DdimOptions, 'steps' | 'clip'> = {}): Tensor {
  const ts = ddimTimesteps(schedule, o.steps ?? 20);
  const ab = schedule.alphaBar;
  return noGrad(() => {
    let x = x0;
    for (let i = 0; i < ts.length - 1; i++) {
      const a = ab[ts[i]!]!,
        aNext = ab[ts[i + 1]!]!;
      const next = scope(() => {
        const p = predict(x, eps(x, ts[i]!), a, o.clip ?? true);
        return p.x0.mul(Math.sqrt(aNext)).add(p.eps.mul(Math.sqrt(1 - aNext)));
      });
      if (x !== x0) x.dispose();
      x = next;
    }
    return x === x0 ? x0.clone() : x;
  });
}

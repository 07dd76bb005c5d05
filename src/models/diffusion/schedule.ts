// Noise schedules of DDPM (Ho et al. 2020) and the timestep grid of DDIM (Song et al. 2021), as plain
// float64 arrays: every coefficient the sampler needs is read from here on the JS side, so the closed
// forms can be checked exactly and the tensors see only per-step scalars.

export type ScheduleKind = 'linear' | 'cosine';

export interface ScheduleOptions {
  /** 'linear' (Ho et al.: beta from 1e-4 to 0.02 over 1000 steps, the Diff-AE default) or 'cosine' (Nichol & Dhariwal 2021). Default 'linear'. */
  kind?: ScheduleKind;
  /** Training timesteps T. Default 1000. */
  steps?: number;
  /** Linear: first and last beta. Default 1e-4 and 0.02 (scaled by 1000 / T so other T keep the same curve). */
  betaStart?: number;
  betaEnd?: number;
  /** Cosine: the offset s. Default 0.008. */
  cosineOffset?: number;
}

export interface NoiseSchedule {
  kind: ScheduleKind;
  /** T. */
  steps: number;
  /** beta_t, t = 0..T-1. */
  betas: Float64Array;
  /** alpha-bar_t = prod_{s <= t} (1 - beta_s): x_t = sqrt(alphaBar_t) x_0 + sqrt(1 - alphaBar_t) eps. */
  alphaBar: Float64Array;
}

/** The largest beta the cosine schedule allows (Nichol & Dhariwal clip at 0.999 to avoid a singular last step). */
export const COSINE_MAX_BETA = 0.999;

/** Cosine schedule's f(t) = cos^2(((t / T) + s) / (1 + s) * pi / 2); alpha-bar_t = f(t + 1) / f(0) before clipping. */
export function cosineF(t: number, steps: number, s = 0.008): number {
  return Math.cos(((t / steps + s) / (1 + s)) * (Math.PI / 2)) ** 2;
}

export function makeSchedule(o: ScheduleOptions = {}): NoiseSchedule {
  const kind = o.kind ?? 'linear';
  const steps = o.steps ?? 1000;
  if (!(Number.isInteger(steps) && steps >= 2)) throw new RangeError(`diffusion schedule: steps must be an integer >= 2, got ${steps}`);
  const betas = new Float64Array(steps);
  if (kind === 'linear') {
    const scale = 1000 / steps;
    const b0 = o.betaStart ?? 1e-4 * scale,
      b1 = o.betaEnd ?? 0.02 * scale;
    if (!(b0 > 0 && b1 >= b0 && b1 < 1)) throw new RangeError(`diffusion schedule: need 0 < betaStart <= betaEnd < 1, got ${b0}, ${b1}`);
    for (let t = 0; t < steps; t++) betas[t] = b0 + ((b1 - b0) * t) / (steps - 1);
  } else if (kind === 'cosine') {
    const s = o.cosineOffset ?? 0.008;
    for (let t = 0; t < steps; t++) betas[t] = Math.min(1 - cosineF(t + 1, steps, s) / cosineF(t, steps, s), COSINE_MAX_BETA);
  } else {
    throw new RangeError(`diffusion schedule: kind must be linear or cosine, got '${String(kind)}'`);
  }
  const alphaBar = new Float64Array(steps);
  let prod = 1;
  for (let t = 0; t < steps; t++) alphaBar[t] = prod *= 1 - betas[t]!;
  return { kind, steps, betas, alphaBar };
}

/**
 * The DDIM grid of `n` timesteps, ascending: 0 and T-1 and n-2 evenly spaced (rounded) between. State 0
 * of a chain is the image itself taken as x at t = 0 (alpha-bar_0 = 1 - beta_0, nearly 1), as in
 * Diff-AE's inversion; the last is x_T.
 */
export function ddimTimesteps(schedule: NoiseSchedule, n: number): number[] {
  const T = schedule.steps;
  if (!(Number.isInteger(n) && n >= 2 && n <= T)) throw new RangeError(`DDIM: steps must be an integer in 2..${T}, got ${n}`);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = Math.round((i * (T - 1)) / (n - 1));
    if (out.length === 0 || t > out[out.length - 1]!) out.push(t);
  }
  return out;
}

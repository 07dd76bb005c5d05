// Learning-rate schedules as a pure function of the step, so a resumed run needs no schedule state.

export type ScheduleKind = 'constant' | 'cosine' | 'step';

export interface ScheduleOptions {
  /** 'constant', 'cosine' (to minLrRatio x lr at the last step) or 'step' (x gamma every stepSize steps). */
  kind: ScheduleKind;
  /** Steps of linear warmup from lr/warmup to lr (0: none). */
  warmupSteps: number;
  /** Total training steps (the cosine's end). */
  totalSteps: number;
  /** Cosine: the floor, as a fraction of lr. */
  minLrRatio: number;
  /** Step schedule: steps between decays, counted after warmup. */
  stepSize: number;
  /** Step schedule: the factor of each decay. */
  gamma: number;
}

/** The multiplier of the base learning rate at training step `step` (counting from 1). */
export function lrFactor(step: number, o: ScheduleOptions): number {
  if (o.warmupSteps > 0 && step <= o.warmupSteps) return step / o.warmupSteps;
  const after = step - o.warmupSteps;
  switch (o.kind) {
    case 'constant':
      return 1;
    case 'cosine': {
      const span = Math.max(1, o.totalSteps - o.warmupSteps);
      const t = Math.min(1, Math.max(0, (after - 1) / Math.max(1, span - 1)));
      return o.minLrRatio + (1 - o.minLrRatio) * 0.5 * (1 + Math.cos(Math.PI * t));
    }
    case 'step':
      return o.gamma ** Math.floor((after - 1) / o.stepSize);
    default:
      throw new RangeError(`unknown LR schedule '${String(o.kind)}' (constant, cosine, step)`);
  }
}

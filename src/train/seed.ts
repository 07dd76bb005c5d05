// One seed drives every random choice of a run. Each consumer gets its own value mixed from the seed and
// its position (epoch, step), so a run resumed at any step draws exactly what an uninterrupted one would.
//
// Training, unlike library calls (engine/generator.ts), keeps libtorch's global generator, reseeded here
// before every step (validation draws from a generator of its own, seeded by validationSeed): the models draw inside their trainStep (reparameterisation noise,
// InfoGAN codes, FactorVAE's permutations), a user's TorchScript model draws inside its own graph
// (dropout, which takes no generator argument), so an explicit generator could not reach every draw; the
// per-step reseed already makes each step's draws a function of (seed, step) alone, which is what resume
// needs. Library analyses never read the global generator, so reseeding it disturbs none of them. The
// step seeds are unchanged by the move to core/random.ts (mixSeed is kept); only the batch order moved.
import { streamSeed } from '../core/random.js';
import { manualSeed } from '../engine/runtime.js';

function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A 32-bit value mixed from the run seed and any number of integers (e.g. a purpose tag and a step). */
export function mixSeed(seed: number, ...parts: number[]): number {
  let h = mix32((seed >>> 0) ^ 0x9e3779b9);
  h = mix32(h ^ Math.floor(seed / 4294967296));
  for (const p of parts) h = mix32(h ^ mix32((p >>> 0) + 0x7f4a7c15));
  return h;
}

/** Purpose tags, so the streams of steps, validation and shuffling never coincide. */
export const SEED_STEP = 1;
export const SEED_VAL = 2;

/**
 * Reseeds libtorch's generator for training step `step` (from 1). Data-parallel rank r > 0 mixes in its
 * rank, so ranks draw different noise for their different cases; rank 0 draws what a single process does.
 */
export function seedStep(seed: number, step: number, rank = 0): void {
  manualSeed(rank === 0 ? mixSeed(seed, SEED_STEP, step) : mixSeed(seed, SEED_STEP, step, rank));
}

/**
 * The seed of the validation after epoch `epoch` (from 0): its draws come from a generator of its own
 * (validate.ts), the same values the global generator gave when it was reseeded with this value.
 */
export function validationSeed(seed: number, epoch: number): number {
  return mixSeed(seed, SEED_VAL, epoch);
}

/** The seed of the data Random that orders epoch `epoch`'s batches: stream (seed, 'train/shuffle', epoch). */
export const shuffleSeed = (seed: number, epoch: number): number => streamSeed(seed, 'train/shuffle', epoch);

// Threshold assertions that record how far they passed (or failed), and the seed offset under which a
// statistical test runs. `node scripts/seed-sweep.mjs` reruns the statistical tests under 20 offsets and
// reports each assertion's worst margin: a claim that holds only on one seed or one CPU kind shows there.
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';

/** Added to every seed of a statistical test (LATENTLENS_TEST_SEED, default 0). */
export const TEST_SEED = Number(process.env.LATENTLENS_TEST_SEED ?? 0);

/** The seed a test uses for its `base` seed under the current offset. */
export const testSeed = (base: number): number => base + TEST_SEED;

function record(what: string, value: number, bound: number, margin: number): void {
  const file = process.env.LATENTLENS_MARGIN_LOG;
  if (file) appendFileSync(file, `${JSON.stringify({ what, value, bound, margin, seed: TEST_SEED })}\n`);
}

// The seed sweep sets LATENTLENS_MARGIN_SOFT=1 so that one failed threshold does not hide the margins of
// the assertions after it; the sweep itself counts the failures from the records.
const soft = process.env.LATENTLENS_MARGIN_SOFT === '1';

/** Asserts value >= bound; the margin is value - bound. */
export function atLeast(value: number, bound: number, what: string): void {
  record(what, value, bound, value - bound);
  if (!soft) assert.ok(value >= bound, `${what}: ${value} is below ${bound}`);
}

/** Asserts value <= bound; the margin is bound - value. */
export function atMost(value: number, bound: number, what: string): void {
  record(what, value, bound, bound - value);
  if (!soft) assert.ok(value <= bound, `${what}: ${value} is above ${bound}`);
}

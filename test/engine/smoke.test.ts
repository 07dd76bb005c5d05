// The smoke run behind `latentlens smoke`: the reference autoencoder's loss falls on phantoms.
import assert from 'node:assert/strict';
import test from 'node:test';
import { smokeTrain } from '../../src/cli/smoke.js';

test('the reference autoencoder learns phantoms: loss falls by more than half in 150 steps', () => {
  const losses = smokeTrain({ steps: 150, batch: 16, seed: 1, cases: 256 });
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  const first = mean(losses.slice(0, 5)),
    last = mean(losses.slice(-5));
  assert.ok(last < 0.5 * first, `loss ${first} -> ${last}`);
  assert.ok(losses.every(Number.isFinite));
});

test('same seed, same losses', () => {
  const a = smokeTrain({ steps: 5, batch: 8, seed: 4, cases: 64 });
  const b = smokeTrain({ steps: 5, batch: 8, seed: 4, cases: 64 });
  assert.deepEqual(a, b);
});

// Validation draws (a model's own noise in its evaluation loss terms) come from a generator of its own:
// the same seed gives the same record whatever ran before, and libtorch's global generator is left where
// it was. The model here draws one normal value per batch in evalLoss, as a sampling VAE objective would.
import assert from 'node:assert/strict';
import test from 'node:test';
import { manualSeed, rand, randn, type Tensor } from '../../src/engine/index.js';
import type { LatentModel } from '../../src/models/types.js';
import { generatePhantoms } from '../../src/data/phantom.js';
import { evaluateReconstruction } from '../../src/train/validate.js';

const noisyEval = {
  eval() {},
  train() {},
  evalLoss: () => ({ loss: randn([1]).item() }),
  reconstruct: (x: Tensor) => x.mul(0.5),
} as unknown as LatentModel;

test('evaluateReconstruction: same seed, same record after any global history; global generator untouched', () => {
  const data = generatePhantoms({ n: 6, size: 28, seed: 1 });
  const indices = [0, 1, 2, 3, 4, 5];
  manualSeed(1);
  const a = evaluateReconstruction(noisyEval, data, indices, { seed: 9, batchSize: 2 });
  manualSeed(2);
  rand([500]);
  const b = evaluateReconstruction(noisyEval, data, indices, { seed: 9, batchSize: 2 });
  assert.deepEqual(b, a);
  assert.notDeepEqual(
    evaluateReconstruction(noisyEval, data, indices, { seed: 10, batchSize: 2 }).terms,
    a.terms,
    'the seed drives the draws',
  );
  manualSeed(11);
  const expected = rand([6]).toNumbers();
  manualSeed(11);
  evaluateReconstruction(noisyEval, data, indices, { seed: 9, batchSize: 2 });
  assert.deepEqual(rand([6]).toNumbers(), expected);
});

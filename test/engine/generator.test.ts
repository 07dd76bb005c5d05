// Explicit generators: random ops driven by a seeded generator of their own give the same values for
// the same seed whatever ran before, and leave libtorch's global generator where it was.
import assert from 'node:assert/strict';
import test from 'node:test';
import { bernoulli, full, generator, manualSeed, rand, randint, randn, randperm, scope, withGenerator } from '../../src/engine/index.js';
import { Linear } from '../../src/nn/index.js';

const values = (t: { toNumbers(): number[] }) => t.toNumbers();

test('a generator seeded with s draws what the global generator draws after manualSeed(s)', () => {
  scope(() => {
    manualSeed(17);
    const global = [values(randn([5])), values(rand([3])), values(randperm(9)), values(randint(0, 100, [4]))];
    const g = generator(17);
    const own = [
      values(randn([5], { generator: g })),
      values(rand([3], { generator: g })),
      values(randperm(9, { generator: g })),
      values(randint(0, 100, [4], { generator: g })),
    ];
    assert.deepEqual(own, global);
    assert.equal(g.initialSeed, 17);
    assert.equal(g.device, 'cpu');
  });
});

test('drawing from a generator neither reads nor advances the global generator', () => {
  scope(() => {
    manualSeed(3);
    const expected = values(rand([6]));
    manualSeed(3);
    const a = values(randn([100], { generator: generator(9) }));
    randperm(50, { generator: generator(9) });
    bernoulli(full([20], 0.5), { generator: generator(9) });
    assert.deepEqual(values(rand([6])), expected, 'global stream unchanged');
    // And the generator's values do not depend on the global state.
    manualSeed(12345);
    rand([1000]);
    assert.deepEqual(values(randn([100], { generator: generator(9) })), a);
  });
});

test('a generator is a stream: successive draws differ; different seeds differ', () => {
  scope(() => {
    const g = generator(1);
    assert.notDeepEqual(values(rand([4], { generator: g })), values(rand([4], { generator: g })));
    assert.notDeepEqual(values(rand([4], { generator: generator(1) })), values(rand([4], { generator: generator(2) })));
    const p = values(randperm(20, { generator: generator(4) })).sort((x, y) => x - y);
    assert.deepEqual(
      p,
      Array.from({ length: 20 }, (_, i) => i),
    );
  });
});

test('withGenerator: layers built inside get the weights manualSeed would give, the global generator untouched', () => {
  scope(() => {
    manualSeed(5);
    const reference = new Linear(4, 3);
    const refWeights = reference.parameters().map(values);
    manualSeed(99);
    const expectedNext = values(rand([3]));
    manualSeed(99);
    const own = withGenerator(generator(5), () => new Linear(4, 3));
    assert.deepEqual(own.parameters().map(values), refWeights);
    assert.deepEqual(values(rand([3])), expectedNext);
    reference.dispose();
    own.dispose();
  });
});

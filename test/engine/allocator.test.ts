// The caching CPU allocator: a repeated working set larger than the cache's floor is served from the
// cache after its first round (the limit follows the high-water set), a fixed limit is kept, and a
// block up to two sizes larger serves a smaller request. Sizes of whole MiB, far above anything libtorch
// allocates on its own between two statements here, so the hit and miss counts are this test's.
import assert from 'node:assert/strict';
import test from 'node:test';
import { memoryStats, scope, setAllocatorCacheLimit, zeros } from '../../src/engine/index.js';

const MiB = 2 ** 20;
const stats = () => memoryStats().allocator;
// Allocates `count` tensors of `bytes` each at once, then frees them; returns the misses it caused.
function round(count: number, bytes: number): number {
  const before = stats().misses;
  scope(() => {
    for (let i = 0; i < count; i++) zeros([bytes / 4]);
  });
  return stats().misses - before;
}

test('the cache grows to a working set above its floor; a fixed limit stays fixed', () => {
  try {
    // Eight blocks of 3 MiB at once against a 4 MiB floor: the first round misses eight times, then the
    // high-water set (24 MiB) is the limit and the next rounds miss none.
    setAllocatorCacheLimit(4 * MiB, { adaptive: true });
    assert.equal(round(8, 3 * MiB), 8);
    assert.equal(round(8, 3 * MiB), 0);
    assert.equal(round(8, 3 * MiB), 0);
    const s = stats();
    assert.ok(s.adaptiveLimit && s.highWaterBytes >= 24 * MiB && s.limitBytes >= 24 * MiB, JSON.stringify(s));
    assert.ok(s.cachedBytes >= 24 * MiB, `the freed blocks stay cached (${s.cachedBytes} bytes)`);

    // A fixed 4 MiB keeps one block of 3 MiB: every round but that block misses.
    setAllocatorCacheLimit(4 * MiB);
    assert.equal(round(8, 3 * MiB), 8);
    assert.equal(round(8, 3 * MiB), 7);
    assert.ok(stats().cachedBytes <= 4 * MiB);
  } finally {
    setAllocatorCacheLimit(2 * 1024 * MiB, { adaptive: true });
  }
});

test('a free block up to two sizes larger serves a smaller request; a much smaller one gets its own', () => {
  // Sizes are rounded to eight steps per power of two (0.25 MiB from 2 to 4 MiB): 4 MiB blocks serve
  // requests of 3.5 MiB (two steps below) but not of 3 MiB (four below) or 2 MiB.
  assert.equal(round(4, 4 * MiB), 4);
  assert.equal(round(4, 3.5 * MiB), 0);
  const kept = stats().cachedBytes;
  assert.equal(round(1, 3 * MiB), 1);
  assert.equal(round(1, 2 * MiB), 1);
  assert.ok(stats().cachedBytes >= kept, 'the larger blocks went back to the cache');
});

// The explorer's thumbnail cache is bounded in bytes: 100 maximal thumbnails (5.8 MB each, the size of a
// scale-16 strip of a 256 px 3-channel run) never hold more than the bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteLruCache, DEFAULT_THUMB_CACHE_BYTES } from '../../src/serve/cache.js';

test('100 maximal thumbnails stay under the byte bound; the least recently used go first', () => {
  const cache = new ByteLruCache();
  assert.equal(cache.maxBytes, DEFAULT_THUMB_CACHE_BYTES);
  const big = Buffer.alloc(5_800_000); // one buffer shared by every entry; the cache counts each one
  for (let i = 0; i < 100; i++) {
    cache.set(`thumb/${i}`, big.subarray(0, big.length - i));
    assert.ok(cache.bytes <= cache.maxBytes, `after ${i + 1} entries: ${cache.bytes} bytes`);
  }
  assert.equal(cache.size, Math.floor(DEFAULT_THUMB_CACHE_BYTES / 5_800_000));
  assert.equal(cache.get('thumb/0'), undefined, 'the oldest entries were evicted');
  assert.ok(cache.get('thumb/99'));
  let sum = 0;
  for (let i = 0; i < 100; i++) sum += cache.get(`thumb/${i}`)?.length ?? 0;
  assert.equal(cache.bytes, sum, 'the accounting matches the entries held');
});

test('get refreshes an entry; replacing a key re-counts it; an entry over the bound is not cached', () => {
  const cache = new ByteLruCache(100);
  cache.set('a', Buffer.alloc(40));
  cache.set('b', Buffer.alloc(40));
  assert.ok(cache.get('a'));
  cache.set('c', Buffer.alloc(40)); // evicts b, the least recently used
  assert.deepEqual([cache.get('a')?.length, cache.get('b'), cache.get('c')?.length], [40, undefined, 40]);
  assert.equal(cache.bytes, 80);
  cache.set('a', Buffer.alloc(10));
  assert.equal(cache.bytes, 50);
  cache.set('huge', Buffer.alloc(101));
  assert.equal(cache.get('huge'), undefined);
  assert.equal(cache.bytes, 50, 'an oversized value evicts nothing');
  cache.set('c', Buffer.alloc(101)); // replacing with an oversized value drops the old one
  assert.equal(cache.get('c'), undefined);
  assert.equal(cache.bytes, 10);
  assert.throws(() => new ByteLruCache(-1), /non-negative/);
});

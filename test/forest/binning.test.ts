// Quantile binning: codes agree with the cut points, ties are never split, few distinct values get a bin each.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyBins, binMatrix } from '../../src/forest/index.js';
import { Random } from '../../src/core/random.js';

test('binning: codes match edges, bins <= maxBins, discrete columns keep one bin per value', () => {
  const rng = new Random(3);
  const n = 3000;
  const d = 4;
  const data = new Float32Array(n * d);
  for (let r = 0; r < n; r++) {
    data[r * d] = Math.round(rng.normal() * 2); // ~15 distinct integers
    data[r * d + 1] = Math.max(0, rng.normal()); // half zeros (a big tie)
    data[r * d + 2] = rng.normal() * 1e3 - 5;
    data[r * d + 3] = -rng.next();
  }
  const b = binMatrix({ data, rows: n, cols: d }, { maxBins: 64 });
  const distinct0 = new Set(Array.from({ length: n }, (_, r) => data[r * d])).size;
  assert.equal(b.nBins[0], distinct0);
  for (let c = 0; c < d; c++) {
    assert.ok(b.nBins[c] <= 64);
    for (let r = 0; r < n; r++) {
      const v = data[r * d + c];
      const code = b.codes[c * n + r];
      if (code > 0) assert.ok(v > b.edges[c][code - 1]);
      if (code < b.nBins[c] - 1) assert.ok(v <= b.edges[c][code]);
    }
  }
  // All zeros of column 1 share one bin.
  const zeroCodes = new Set<number>();
  for (let r = 0; r < n; r++) if (data[r * d + 1] === 0) zeroCodes.add(b.codes[n + r]);
  assert.equal(zeroCodes.size, 1);
  // applyBins (binary search) reproduces the radix-sorted encoding.
  assert.deepEqual(applyBins({ data, rows: n, cols: d }, b).codes, b.codes);
  assert.throws(() => binMatrix({ data: Float32Array.from([1, NaN]), rows: 2, cols: 1 }), /non-finite/);
});

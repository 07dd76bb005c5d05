// safetensors: round trips, a file built byte by byte from the spec, and malformed files rejected.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { decodeSafetensors, encodeSafetensors, loadSafetensors, saveSafetensors } from '../../src/nn/index.js';

test('encode then decode returns the same tensors and metadata', () => {
  const bytes = encodeSafetensors(
    {
      'layer.weight': { dtype: 'F32', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) },
      steps: { dtype: 'I64', shape: [], data: new BigInt64Array([42n]) },
      mask: { dtype: 'BOOL', shape: [3], data: new Uint8Array([1, 0, 1]) },
    },
    { format: 'pt', seed: '7' },
  );
  const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal((8 + headerLength) % 8, 0, 'data starts 8-byte aligned');
  const { tensors, metadata } = decodeSafetensors(bytes);
  assert.deepEqual(metadata, { format: 'pt', seed: '7' });
  assert.deepEqual([...(tensors['layer.weight']!.data as Float32Array)], [1, 2, 3, 4]);
  assert.deepEqual(tensors['layer.weight']!.shape, [2, 2]);
  assert.deepEqual([...(tensors.steps!.data as BigInt64Array)], [42n]);
  assert.deepEqual(tensors.steps!.shape, []);
  assert.deepEqual([...(tensors.mask!.data as Uint8Array)], [1, 0, 1]);
});

test('reads a file written by another writer, built byte by byte from the spec', () => {
  // Header without padding or sorting, F64 then I32 stored in reverse order of names, offsets explicit.
  const header = '{"b":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},"a":{"dtype":"I32","shape":[1,1],"data_offsets":[16,20]}}';
  const out = Buffer.alloc(8 + header.length + 20);
  out.writeBigUInt64LE(BigInt(header.length), 0);
  out.write(header, 8, 'utf8');
  out.writeDoubleLE(0.25, 8 + header.length);
  out.writeDoubleLE(-1e300, 16 + header.length);
  out.writeInt32LE(-5, 24 + header.length);
  const dir = mkdtempSync(join(tmpdir(), 'll-st-'));
  writeFileSync(join(dir, 'x.safetensors'), out);
  const { tensors, metadata } = loadSafetensors(join(dir, 'x.safetensors'));
  assert.deepEqual(metadata, {});
  assert.deepEqual([...(tensors.b!.data as Float64Array)], [0.25, -1e300]);
  assert.deepEqual([...(tensors.a!.data as Int32Array)], [-5]);
  assert.deepEqual(tensors.a!.shape, [1, 1]);
});

test('save is atomic and load names the file in errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'll-st-'));
  const path = join(dir, 'w.safetensors');
  saveSafetensors(path, { w: { dtype: 'F32', shape: [1], data: new Float32Array([3]) } });
  assert.deepEqual([...(loadSafetensors(path).tensors.w!.data as Float32Array)], [3]);
  writeFileSync(join(dir, 'bad.safetensors'), Buffer.from([1, 2, 3]));
  assert.throws(() => loadSafetensors(join(dir, 'bad.safetensors')), /bad\.safetensors: not a valid safetensors file: only 3 bytes/);
});

function withHeader(header: string, dataBytes: number): Uint8Array {
  const out = Buffer.alloc(8 + header.length + dataBytes);
  out.writeBigUInt64LE(BigInt(header.length), 0);
  out.write(header, 8, 'utf8');
  return out;
}

test('malformed files are rejected with the reason', () => {
  assert.throws(
    () => decodeSafetensors(withHeader('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', 4)),
    /outside the 4-byte buffer/,
  );
  assert.throws(() => decodeSafetensors(withHeader('{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', 8)), /needs 12/);
  assert.throws(() => decodeSafetensors(withHeader('{"a":{"dtype":"Q7","shape":[1],"data_offsets":[0,1]}}', 1)), /unknown dtype "Q7"/);
  assert.throws(() => decodeSafetensors(withHeader('{"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}', 2)), /holes or overlaps/);
  assert.throws(
    () => decodeSafetensors(withHeader('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', 3)),
    /2 bytes after the last tensor/,
  );
  assert.throws(() => decodeSafetensors(withHeader('not json', 0)), /header is not JSON/);
  const huge = Buffer.alloc(8);
  huge.writeBigUInt64LE(1n << 40n, 0);
  assert.throws(() => decodeSafetensors(huge), /does not fit/);
  assert.throws(() => encodeSafetensors({ a: { dtype: 'F32', shape: [3], data: new Float32Array(2) } }), /needs 12/);
});

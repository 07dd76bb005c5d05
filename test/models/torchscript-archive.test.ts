// A TorchScript file is checked before libtorch reads it (issue 20, finding 1): libtorch 1.13 loads a
// tensor whose stored blob is shorter than its storage and then corrupts the heap. A copy of the fixture
// with its data/0 record cut from 288 to 144 bytes must be refused in-process, naming the record.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { ScriptModule } from '../../src/engine/index.js';
import { pickleStorages, verifyScriptArchive } from '../../src/engine/script-archive.js';
import { createModel } from '../../src/models/registry.js';

const fixture = fileURLToPath(new URL('../../../test/fixtures/tiny_ae.pt', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'll-script-archive-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** The fixture rewritten (entries in their order), each record transformed, optionally deflated. */
function rewrite(
  name: string,
  edit: (record: string, bytes: Uint8Array) => Uint8Array | null,
  deflate: (record: string) => boolean = () => false,
): string {
  const entries = unzipSync(readFileSync(fixture));
  const out: Zippable = {};
  for (const [record, bytes] of Object.entries(entries)) {
    const edited = edit(record, bytes);
    if (edited) out[record] = [edited, { level: deflate(record) ? 6 : 0 }];
  }
  const p = join(tmp, name);
  writeFileSync(p, zipSync(out));
  return p;
}
const truncated = () => rewrite('truncated.pt', (r, b) => (r === 'tiny_ae/data/0' ? b.subarray(0, 144) : b));

test('the intact fixture verifies: 8 float storages, each covered by its record', () => {
  const s = verifyScriptArchive(fixture);
  assert.equal(s.prefix, 'tiny_ae');
  assert.equal(s.storages.length, 8);
  assert.ok(s.storages.every((x) => x.archive === 'data' && x.storageType === 'FloatStorage' && x.itemSize === 4));
  assert.equal(s.storages.find((x) => x.key === '0')!.numel, 72);
});

test('a rewritten but complete copy (stored, or with every record deflated) verifies and loads', () => {
  const stored = rewrite('stored.pt', (_, b) => b);
  assert.equal(verifyScriptArchive(stored).storages.length, 8);
  ScriptModule.load(stored); // libtorch accepts the rewritten archive too: refusals below are about the blob, not the writer
  const deflated = rewrite(
    'deflated.pt',
    (_, b) => b,
    () => true,
  );
  assert.equal(verifyScriptArchive(deflated).storages.length, 8);
});

test('a record cut short is refused in-process with the file, record and byte counts named', () => {
  const p = truncated();
  const message = /truncated\.pt: record tiny_ae\/data\/0 holds 144 bytes but its FloatStorage of 72 elements needs 288/;
  assert.throws(() => verifyScriptArchive(p), message);
  assert.throws(() => ScriptModule.load(p), message);
  assert.throws(() => createModel('torchscript', { path: p, inputShape: [2, 8, 8] }), message);
  // Deflated, the directory's uncompressed size is what is checked.
  const d = rewrite(
    'truncated-deflated.pt',
    (r, b) => (r === 'tiny_ae/data/0' ? b.subarray(0, 144) : b),
    () => true,
  );
  assert.throws(() => ScriptModule.load(d), /record tiny_ae\/data\/0 holds 144 bytes/);
  // The intact fixture still loads afterwards.
  assert.ok(ScriptModule.load(fixture).hasMethod('encode'));
});

test('a missing record, a file that is no zip, or a zip without data.pkl is refused', () => {
  const missing = rewrite('missing.pt', (r, b) => (r === 'tiny_ae/data/3' ? null : b));
  assert.throws(() => ScriptModule.load(missing), /record tiny_ae\/data\/3 .* is missing/);
  const junk = join(tmp, 'junk.pt');
  writeFileSync(junk, Buffer.from('this is not a zip archive at all, just text'.repeat(4)));
  assert.throws(() => ScriptModule.load(junk), /junk\.pt: not a TorchScript archive/);
  const noPkl = rewrite('no-pkl.pt', (r, b) => (r === 'tiny_ae/data.pkl' ? null : b));
  assert.throws(() => ScriptModule.load(noPkl), /no tiny_ae\/data\.pkl record/);
  const cut = join(tmp, 'cut.pt');
  writeFileSync(cut, readFileSync(fixture).subarray(0, 9000));
  assert.throws(() => ScriptModule.load(cut), /cut\.pt: /);
});

// A protocol-2 pickle of one tensor: _rebuild_tensor_v2(('storage', FloatStorage, '0', 'cpu', numel), 0, size, stride, False, OrderedDict()).
function tensorPickle(numel: number, size: number[], stride: number[]): Uint8Array {
  const parts: number[] = [0x80, 2];
  const text = (s: string) => [...Buffer.from(s, 'latin1')];
  const uni = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    return [0x58, b.length, 0, 0, 0, ...b];
  };
  const int1 = (v: number) => [0x4b, v];
  const tuple = (xs: number[][]) => [0x28, ...xs.flat(), 0x74];
  parts.push(0x63, ...text('torch._utils\n_rebuild_tensor_v2\n'));
  parts.push(0x28, ...tuple([uni('storage'), [0x63, ...text('torch\nFloatStorage\n')], uni('0'), uni('cpu'), int1(numel)]), 0x51);
  parts.push(
    ...int1(0),
    ...tuple(size.map(int1)),
    ...tuple(stride.map(int1)),
    0x89,
    0x63,
    ...text('collections\nOrderedDict\n'),
    0x29,
    0x52,
    0x74,
    0x52,
    0x2e,
  );
  return Uint8Array.from(parts);
}

test('the pickle walker checks each tensor view against its storage and refuses what it cannot read', () => {
  assert.deepEqual(
    pickleStorages(tensorPickle(8, [2, 4], [4, 1]), 'data', 'p').map((s) => [s.key, s.numel]),
    [['0', 8]],
  );
  assert.throws(() => pickleStorages(tensorPickle(4, [2, 4], [4, 1]), 'data', 'p'), /needs 8 elements of storage 0, which has 4/);
  assert.throws(() => pickleStorages(Uint8Array.of(0x80, 2, 0xff), 'data', 'p'), /unknown pickle opcode 0xff .*could not be verified/);
  assert.throws(() => pickleStorages(Uint8Array.of(0x80, 2, 0x58, 0xff, 0xff, 0, 0), 'data', 'p'), /cut short/);
});

test('train --model torchscript with the truncated file fails cleanly (no signal), naming the record', () => {
  const cli = join(process.cwd(), 'dist/src/cli/main.js');
  const r = spawnSync(
    process.execPath,
    [
      cli,
      'train',
      '--data',
      'phantom:n=16,size=8,channels=A,B',
      '--model',
      'torchscript',
      '--model-opt',
      `path=${truncated()}`,
      '--steps',
      '1',
      '--out',
      join(tmp, 'run'),
    ],
    { encoding: 'utf8', env: { ...process.env, LATENTLENS_THREADS: '1' } },
  );
  assert.equal(r.signal, null, `killed by ${r.signal}\n${r.stderr}`);
  assert.notEqual(r.status, 0, r.stdout);
  assert.match(r.stderr, /record tiny_ae\/data\/0 holds 144 bytes/);
});

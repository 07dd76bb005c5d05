// Corrupt TorchScript files name the file and say what it is not (issue 16, inputs: 12 of 14 corrupt
// .pt files gave libtorch's bare message, e.g. "PytorchStreamReader failed reading zip archive", and a
// broken code/ folder printed a multi-line compiler dump). Each corruption is built from the fixture.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { ScriptLoadError, ScriptModule } from '../../src/engine/index.js';
import { setNumThreads } from '../../src/engine/runtime.js';
import { createModel } from '../../src/models/registry.js';

setNumThreads(1);

const fixture = fileURLToPath(new URL('../../../test/fixtures/tiny_ae.pt', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'll-script-load-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const text = (s: string) => new TextEncoder().encode(s);

/** The fixture with each record passed through `edit` (null drops it). */
function rewrite(name: string, edit: (record: string, bytes: Uint8Array) => Uint8Array | null): string {
  const out: Zippable = {};
  for (const [record, bytes] of Object.entries(unzipSync(readFileSync(fixture)))) {
    const e = edit(record, bytes);
    if (e) out[record] = [e, { level: 0 }];
  }
  const p = join(tmp, name);
  writeFileSync(p, zipSync(out));
  return p;
}
function raw(name: string, bytes: Uint8Array): string {
  const p = join(tmp, name);
  writeFileSync(p, bytes);
  return p;
}

const whole = readFileSync(fixture);
const corrupt: Array<[string, string, RegExp]> = [
  [raw('empty.pt', new Uint8Array(0)), 'empty file', /not a TorchScript archive/],
  [
    raw(
      'random.pt',
      Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256),
    ),
    'random bytes',
    /not a TorchScript archive/,
  ],
  [raw('half.pt', whole.subarray(0, whole.length >> 1)), 'cut in half', /not a TorchScript archive/],
  [raw('tail.pt', whole.subarray(whole.length >> 1)), 'second half only', /truncated archive/],
  [
    rewrite('broken-code.pt', (r, b) => (r === 'tiny_ae/code/__torch__.py' ? text('def forward(self x):\n  return ((\n') : b)),
    'a broken code/ file',
    /: not a loadable TorchScript archive: libtorch says "expected \) but found 'ident' here" in code\/__torch__\.py line 1 \(LATENTLENS_DEBUG=1 prints libtorch's full message\)$/,
  ],
  [
    rewrite('no-code.pt', (r, b) => (r.includes('/code/') ? null : b)),
    'no code/ folder',
    /: not a loadable TorchScript archive: libtorch says "Unknown type name '__torch__\.TinyAE'"/,
  ],
  [
    rewrite('version.pt', (r, b) => (r.endsWith('/version') ? text('999\n') : b)),
    'an unsupported version',
    /: not a loadable TorchScript archive: libtorch says "\[enforce fail at inline_container\.cc:\d+\] \. Attempted to read a PyTorch file with version 999/,
  ],
  [
    rewrite('no-version.pt', (r, b) => (r.endsWith('/version') ? null : b)),
    'no version record',
    /: not a loadable TorchScript archive: libtorch says "/,
  ],
  [
    rewrite('no-data.pt', (r, b) => (r.endsWith('data.pkl') ? null : b)),
    'no data.pkl',
    /no tiny_ae\/data\.pkl record: not a TorchScript archive/,
  ],
  [rewrite('bad-pickle.pt', (r, b) => (r.endsWith('data.pkl') ? b.subarray(0, 10) : b)), 'data.pkl cut short', /record tiny_ae\/data\.pkl/],
  [rewrite('bad-debug.pt', (r, b) => (r.endsWith('__torch__.py.debug_pkl') ? text('not a pickle') : b)), 'a corrupt debug_pkl', /./],
  [
    rewrite('no-blob.pt', (r, b) => (r === 'tiny_ae/data/3' ? null : b)),
    'a missing tensor record',
    /record tiny_ae\/data\/3 .* is missing/,
  ],
];

test('every corrupt .pt is refused with one line naming the file and what it is not', () => {
  for (const [file, what, expected] of corrupt) {
    let err: Error | null = null;
    try {
      ScriptModule.load(file).eval();
    } catch (e) {
      err = e as Error;
    }
    // libtorch never reads debug_pkl records when it loads: that damage passes.
    if (what === 'a corrupt debug_pkl' && err === null) continue;
    assert.ok(err, `${what}: expected an error`);
    assert.ok(err.message.startsWith(`${file}: `), `${what}: ${err.message}`);
    assert.ok(!err.message.includes('\n'), `${what}: one line, got ${JSON.stringify(err.message)}`);
    assert.match(err.message, expected, what);
  }
});

test("the model layer gives the same message; LATENTLENS_DEBUG=1 adds libtorch's full text", () => {
  const broken = corrupt[4]![0];
  assert.throws(
    () => createModel('torchscript', { path: broken, inputShape: [2, 8, 8] }),
    (e: Error) => e instanceof ScriptLoadError && e.message.startsWith(`${broken}: not a loadable TorchScript archive`),
  );
  const old = process.env.LATENTLENS_DEBUG;
  process.env.LATENTLENS_DEBUG = '1';
  try {
    assert.throws(
      () => ScriptModule.load(broken),
      (e: Error) =>
        e instanceof ScriptLoadError &&
        e.message.includes("\nlibtorch's full message:\n") &&
        e.message.includes('~ <--- HERE') &&
        e.libtorchMessage.includes('Serialized   File "code/__torch__.py", line 1'),
    );
  } finally {
    if (old === undefined) delete process.env.LATENTLENS_DEBUG;
    else process.env.LATENTLENS_DEBUG = old;
  }
  assert.ok(ScriptModule.load(fixture).hasMethod('encode'), 'the intact fixture still loads');
});

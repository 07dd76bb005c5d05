// A corrupt or missing weights file is named once (issue 16, inputs: safetensors errors printed the
// path twice, "<file>: <file>: not a valid safetensors file").
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setNumThreads } from '../../src/engine/runtime.js';
import { ConvAE } from '../../src/models/conv-ae.js';
import { loadStateDict } from '../../src/nn/state-io.js';
import { loadCheckpoint } from '../../src/train/checkpoint.js';
import { openRun } from '../../src/train/run-folder.js';

setNumThreads(1);

const once = (message: string, path: string) => message.split(path).length - 1;

test('openRun, loadCheckpoint and loadStateDict name a corrupt or missing .safetensors once', () => {
  const dir = mkdtempSync(join(tmpdir(), 'll-weights-'));
  const model = new ConvAE({ inputShape: [1, 28, 28], latentMaps: 2, latentGrid: [7, 7], width: 4 });
  try {
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model: model.config }));
    const weights = join(dir, 'model.safetensors');
    writeFileSync(weights, 'abc');
    const corrupt = (e: Error) =>
      e.message === `${weights}: not a valid safetensors file: only 3 bytes, the 8-byte header length is missing`;
    assert.throws(() => openRun(dir), corrupt);
    assert.throws(() => loadStateDict(model, weights), corrupt);
    const ckpt = join(dir, 'checkpoints', 'step-00000001');
    mkdirSync(ckpt, { recursive: true });
    writeFileSync(join(ckpt, 'state.json'), '{}');
    writeFileSync(join(ckpt, 'model.safetensors'), 'abc');
    assert.throws(
      () => loadCheckpoint(ckpt, model, new Map()),
      (e: Error) => once(e.message, join(ckpt, 'model.safetensors')) === 1 && /not a valid safetensors file/.test(e.message),
    );
    rmSync(join(ckpt, 'model.safetensors'));
    assert.throws(
      () => loadCheckpoint(ckpt, model, new Map()),
      (e: Error) => e.message === `${join(ckpt, 'model.safetensors')}: cannot read the file (ENOENT)`,
    );
  } finally {
    model.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

// A full disk during training (issue 16, inputs): the failing write is named, the checkpoint's temporary
// folder is removed, and the last checkpoint stays the one latest.json points to. The disk is not filled:
// setWriteFaultForTests makes chosen atomic writes fail with the system's ENOSPC error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { manualSeed } from '../../src/engine/runtime.js';
import { trainModel } from '../../src/train/trainer.js';
import { CheckpointWriteError } from '../../src/train/checkpoint.js';
import { FileWriteError, setWriteFaultForTests, writeFileAtomic } from '../../src/util/atomic-write.js';
import { TinyAE, tinyPhantoms } from './tiny-model.js';

const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });

test('writeFileAtomic: a failed write names the file, removes its temporary and leaves the old file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'll-enospc-'));
  try {
    const target = join(dir, 'config.json');
    writeFileSync(target, 'old');
    setWriteFaultForTests(() => {
      throw enospc();
    });
    assert.throws(
      () => writeFileAtomic(target, 'new contents'),
      (e: Error) =>
        e instanceof FileWriteError &&
        e.code === 'ENOSPC' &&
        e.message ===
          `cannot write ${target}: ENOSPC: no space left on device, write (the disk holding ${dir} is full; free space and retry)`,
    );
    setWriteFaultForTests(null);
    assert.equal(readFileSync(target, 'utf8'), 'old');
    assert.deepEqual(readdirSync(dir), ['config.json'], 'no temporary left');
  } finally {
    setWriteFaultForTests(null);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a checkpoint that meets a full disk: the error names the file, .tmp-step-* is removed, the last checkpoint is kept', async () => {
  const out = mkdtempSync(join(tmpdir(), 'll-enospc-run-'));
  try {
    manualSeed(1);
    const m = new TinyAE();
    // The disk fills after the checkpoint of step 5: the optimizer state of step 10's checkpoint fails.
    let failing = false;
    setWriteFaultForTests((path) => {
      if (failing && basename(path) === 'optimizer.safetensors') throw enospc();
    });
    const err = await trainModel(
      m,
      tinyPhantoms(120, 2),
      {
        out,
        batchSize: 16,
        lr: 1e-2,
        checkpointEvery: 5,
        seed: 4,
        progress: false,
        epochs: 5,
      },
      (e) => {
        if (e.type === 'checkpoint' && e.step === 5) failing = true;
      },
    ).then(
      () => null,
      (e: unknown) => e,
    );
    setWriteFaultForTests(null);
    assert.ok(err instanceof CheckpointWriteError, `expected CheckpointWriteError, got ${String(err)}`);
    assert.equal(err.step, 10);
    assert.match(
      err.message,
      new RegExp(
        `^checkpoint of step 10 not written: cannot write ${join(out, 'checkpoints', '.tmp-step-00000010-\\d+', 'optimizer.safetensors').replace(/[.]/g, '\\.')}: ENOSPC: no space left on device, write \\(the disk holding .* is full; free space and retry\\); its temporary folder was removed and the last checkpoint \\(step-00000005, step 5\\) is kept, and --resume continues from it$`,
      ),
    );
    const names = readdirSync(join(out, 'checkpoints'));
    assert.deepEqual(names.sort(), ['latest.json', 'step-00000005'], `left: ${names.join(', ')}`);
    assert.equal(JSON.parse(readFileSync(join(out, 'checkpoints', 'latest.json'), 'utf8')).step, 5);
    assert.ok(existsSync(join(out, 'checkpoints', 'step-00000005', 'optimizer.safetensors')));
    // The run resumes from the kept checkpoint once there is space again.
    manualSeed(1);
    const again = new TinyAE();
    const r = await trainModel(again, tinyPhantoms(120, 2), {
      out,
      batchSize: 16,
      lr: 1e-2,
      checkpointEvery: 5,
      seed: 4,
      progress: false,
      epochs: 5,
      resume: true,
    });
    assert.equal(r.resumedFrom, 5);
    assert.ok(existsSync(join(out, 'model.safetensors')));
    m.dispose();
    again.dispose();
  } finally {
    setWriteFaultForTests(null);
    rmSync(out, { recursive: true, force: true });
  }
});

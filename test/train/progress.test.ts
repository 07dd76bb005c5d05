// Progress output (issue 16): `umap 9%umap 19%` in a log. src/util/progress.ts redraws one line in place
// only on a terminal; on any other stream each stage prints one line when it starts and one when it ends.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StageProgress, StatusLine, type ProgressStream } from '../../src/util/progress.js';
import { ProgressBar } from '../../src/train/progress-bar.js';

function fake(isTTY: boolean): ProgressStream & { out: string } {
  const s = {
    out: '',
    isTTY,
    columns: 80,
    write(chunk: string) {
      s.out += chunk;
      return true;
    },
  };
  return s;
}

test('not a terminal: one line per stage start and end, no carriage returns, interleaved stages included', () => {
  const s = fake(false);
  let t = 0;
  const p = new StageProgress(s, { now: () => t });
  for (let fold = 0; fold < 3; fold++) {
    for (let i = 1; i <= 10; i++) {
      t += 10;
      p.update('fit', fold * 10 + i, 30);
    }
    for (let i = 1; i <= 10; i++) {
      t += 10;
      p.update('permutation', fold * 10 + i, 30);
    }
  }
  p.update('umap', 0, 500);
  for (let e = 50; e <= 200; e += 50) p.update('umap', e, 500); // stopped early
  p.log('a message');
  p.end();
  assert.ok(!s.out.includes('\r') && !s.out.includes('\x1b'), JSON.stringify(s.out));
  assert.deepEqual(s.out.split('\n'), [
    'fit ...',
    'permutation ...',
    'fit done: 30 in 0.5 s',
    'permutation done: 30 in 0.5 s',
    'umap ...',
    'a message',
    'umap stopped at 200/500 after 0.0 s',
    '',
  ]);
});

test('a terminal: one line redrawn in place, kept when a stage ends', () => {
  const s = fake(true);
  let t = 0;
  const p = new StageProgress(s, { now: () => t, intervalMs: 100 });
  for (let i = 1; i <= 10; i++) {
    t += 50;
    p.update('umap', i * 10, 100);
  }
  p.end();
  assert.ok(s.out.startsWith('\rumap 10/100 (10%)\x1b[K'), JSON.stringify(s.out));
  assert.ok(s.out.endsWith('\rumap 100/100 (100%) in 0.5 s\x1b[K\n'), JSON.stringify(s.out));
  assert.equal(s.out.split('\n').length, 2, 'one line');
  assert.equal(s.out.split('\r').length - 1, 6, 'redrawn at most every 100 ms, and at the end');
});

test('StatusLine and the training bar draw nothing off a terminal; messages still print', () => {
  const s = fake(false);
  const line = new StatusLine(s);
  line.redraw('x 1/2');
  line.log('hello');
  line.done();
  assert.equal(s.out, 'hello\n');
  const b = fake(false);
  const bar = new ProgressBar(b, 10, 4);
  for (let i = 1; i <= 10; i++) bar.update(i, 0, 1, 0.5, 100);
  bar.log('epoch 1');
  bar.done();
  assert.equal(b.out, 'epoch 1\n');
  const tty = fake(true);
  const bar2 = new ProgressBar(tty, 10, 4);
  bar2.update(10, 0, 1, 0.5, 100);
  bar2.log('epoch 1');
  bar2.done();
  assert.match(tty.out, /^\r\[#{24}\] 10\/10 epoch 1\/1 loss 0\.5000 100 img\/s ETA 00:00\x1b\[K\r\x1b\[Kepoch 1\n$/);
});

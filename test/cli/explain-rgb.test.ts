// explain on an RGB run (channels R, G, B): besides the gray traversal strip of each channel it writes
// the traversal as colour composites (traversal-rgb.png) and puts the activation maximisation's composite
// before its channels; both are RGB PNGs, and the report shows them with their captions.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseFigureName, TRAVERSAL_COMPOSITE_FIGURE } from '../../src/explain/figures.js';
import { pngHeader } from '../../src/util/png.js';

const cli = join(process.cwd(), 'dist/src/cli/main.js');
const ok = (...args: string[]) => {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, LATENTLENS_THREADS: '1' } });
  assert.equal(r.status, 0, `latentlens ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
};

test('explain on an RGB run writes composite traversal and activation-maximisation figures', () => {
  const root = mkdtempSync(join(tmpdir(), 'll-explain-rgb-'));
  try {
    const run = join(root, 'run');
    ok(
      'train',
      '--data',
      'phantom:n=64,size=32,channels=R,G,B,lesion=B,seed=4',
      '--model',
      'conv-ae',
      '--latent-maps',
      '4',
      '--latent-grid',
      '4x4',
      '--width',
      '8',
      '--steps',
      '3',
      '--batch-size',
      '32',
      '--out',
      run,
    );
    ok('explain', run, '--map', '0', '--methods', 'gradient', '--cases', '4', '--max-cases', '64');
    const r = (JSON.parse(readFileSync(join(run, 'explain', 'map-0.json'), 'utf8')) as { result: { figures: string[] } }).result;
    const trav = `figures/map-0/${TRAVERSAL_COMPOSITE_FIGURE}`;
    assert.ok(r.figures.includes(trav), r.figures.join(' '));
    assert.deepEqual(parseFigureName('traversal-rgb', ['R', 'G', 'B']), { kind: 'traversal', channel: 'RGB composite' });
    const t = pngHeader(readFileSync(join(run, trav)));
    const g = pngHeader(readFileSync(join(run, 'figures', 'map-0', 'traversal-ch0-R.png')));
    assert.equal(t.colourType, 2);
    assert.equal(g.colourType, 0, 'the per-channel traversal stays gray');
    assert.deepEqual([t.width, t.height], [g.width, g.height], 'the same frames, in colour');
    assert.ok(r.figures.includes('figures/map-0/activation-max.png'));
    const a = pngHeader(readFileSync(join(run, 'figures', 'map-0', 'activation-max.png')));
    assert.equal(a.colourType, 2);
    assert.equal(a.width, 4 * 32 * 3 + 3 * 2, 'composite then R, G, B frames');
    ok('report', run, '--no-images');
    const html = readFileSync(join(run, 'report.html'), 'utf8');
    assert.match(html, /output channel <code>RGB composite<\/code>/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

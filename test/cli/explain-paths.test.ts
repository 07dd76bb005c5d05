// A run folder from someone else must never make latentlens write outside it (issue 20, finding 2).
// Channel names come from the data spec in config.json; explain used them in figure file names, so a
// channel `x/../../../../ESCAPED_` wrote ESCAPED_.png beside the run, and `T2</script>` crashed with
// ENOENT. Figures are now named by channel index plus a strict slug, every path is checked to stay in the
// run (symlinks resolved), and the report and explorer read the channel's name back from the JSON.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import { parseFigureName } from '../../src/explain/figures.js';
import { fileSlug, insideRun } from '../../src/util/run-paths.js';

const cli = join(process.cwd(), 'dist/src/cli/main.js');
const root = mkdtempSync(join(tmpdir(), 'll-explain-paths-'));
const run = join(root, 'nest', 'run');
const ESCAPE = 'x/../../../../ESCAPED_';
const SCRIPT = 'T2</script>';

const latentlens = (...args: string[]) =>
  spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, LATENTLENS_THREADS: '1' } });
const ok = (...args: string[]) => {
  const r = latentlens(...args);
  assert.equal(r.status, 0, `latentlens ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
};
/** Every file under `dir`, relative to it, leaving out the run folder. */
const outside = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => !e.isDirectory())
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .filter((p) => !p.startsWith(join('nest', 'run')))
    .sort();

before(() => {
  mkdirSync(join(root, 'nest'));
  ok(
    'train',
    '--data',
    `phantom:n=64,size=32,channels=${ESCAPE},${SCRIPT}`,
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
});
after(() => rmSync(root, { recursive: true, force: true }));

test('explain with hostile channel names writes only inside the run, and the report reads the figures back', () => {
  assert.ok(readFileSync(join(run, 'config.json'), 'utf8').includes('ESCAPED_'));
  const before = outside(root);
  ok('explain', run, '--map', '0', '--methods', 'gradient', '--cases', '4', '--max-cases', '64');
  assert.deepEqual(outside(root), before, 'nothing written outside the run folder');
  const r = (JSON.parse(readFileSync(join(run, 'explain', 'map-0.json'), 'utf8')) as { result: { channels: string[]; figures: string[] } })
    .result;
  assert.deepEqual(r.channels, [ESCAPE, SCRIPT]);
  assert.ok(r.figures.length > 0);
  for (const f of r.figures) {
    assert.match(f, /^figures\/map-0\/[A-Za-z0-9_-]+\.png$/, f);
    assert.ok(readFileSync(join(run, f)).length > 8, f);
  }
  assert.ok(
    r.figures.includes('figures/map-0/traversal-ch0-x_ESCAPED.png') && r.figures.includes('figures/map-0/traversal-ch1-T2_script.png'),
    r.figures.join(' '),
  );
  const named = r.figures.map((f) =>
    parseFigureName(
      f
        .split('/')
        .pop()!
        .replace(/\.png$/, ''),
      r.channels,
    ),
  );
  assert.deepEqual(
    [...new Set(named.flatMap((n) => (n && n.kind !== 'activation-max' ? [n.channel] : [])))].sort(),
    [SCRIPT, ESCAPE].sort(),
  );

  ok('report', run, '--no-images');
  const html = readFileSync(join(run, 'report.html'), 'utf8');
  assert.ok(!html.includes(SCRIPT), 'the channel name is escaped');
  assert.ok(html.includes('T2&lt;/script&gt;'));
  assert.match(html, /<h4>Traversal<\/h4>/);
  assert.match(html, /<h4>Attribution overlays<\/h4>/);
  assert.ok(!html.includes('figure file(s) listed in the JSON are missing'));
  assert.deepEqual(outside(root), before);
});

test('a symlinked figures folder that leads out of the run is refused before anything is written', () => {
  const elsewhere = join(root, 'elsewhere');
  mkdirSync(elsewhere);
  renameSync(join(run, 'figures'), join(run, 'figures.real'));
  symlinkSync(elsewhere, join(run, 'figures'));
  try {
    const r = latentlens('explain', run, '--map', '1', '--methods', 'gradient', '--cases', '4', '--max-cases', '64');
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /refusing to write .*figures.* leads outside the run folder/);
    assert.deepEqual(readdirSync(elsewhere), []);
  } finally {
    rmSync(join(run, 'figures'));
    renameSync(join(run, 'figures.real'), join(run, 'figures'));
  }
});

test('insideRun and fileSlug', () => {
  assert.throws(() => insideRun(run, join(run, '..', 'x.png')), /outside|not inside/);
  assert.throws(() => insideRun(run, run), /not inside/);
  assert.equal(insideRun(run, 'figures/a.png'), join(run, 'figures', 'a.png'));
  assert.equal(fileSlug(ESCAPE), 'x_ESCAPED');
  assert.equal(fileSlug('../..'), '');
  assert.equal(fileSlug('a'.repeat(100)).length, 40);
  // Names written before channel indices still read, and an old channel literally named "ch1" is not taken for index 1.
  assert.deepEqual(parseFigureName('gradient-case0-T1', ['T1', 'T2']), {
    kind: 'attribution',
    method: 'gradient',
    caseIndex: '0',
    channel: 'T1',
  });
  assert.deepEqual(parseFigureName('traversal-ch1', ['ch0', 'ch1']), { kind: 'traversal', channel: 'ch1' });
  assert.deepEqual(parseFigureName('traversal-ch1', ['ch1', 'x']), { kind: 'traversal', channel: 'ch1' });
  assert.deepEqual(parseFigureName('traversal-ch1-x', ['ch1', 'x']), { kind: 'traversal', channel: 'x' });
});

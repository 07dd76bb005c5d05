// A run folder given as `./run`, `run/` or an absolute path must name the same files (issue 16): cutting
// the typed length off a normalised path recorded `gures/map-6/...` for `./run` and `igures/` for `run/`,
// the report then said its figures were missing and "decoded with odel.safetensors", and paths joined
// onto the run folder twice wrote `run/run/rank.json`. Each form is used from the run's parent folder for
// explain, rank, embed and report; every recorded path must exist relative to the run.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

const cli = join(process.cwd(), 'dist/src/cli/main.js');
const root = mkdtempSync(join(tmpdir(), 'll-run-forms-'));
const run = join(root, 'run');

const ok = (...args: string[]) => {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, LATENTLENS_THREADS: '1' } });
  assert.equal(r.status, 0, `latentlens ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
};

before(() => {
  ok(
    'train',
    '--data',
    'phantom:n=64,size=32,channels=T1,FLAIR',
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
    'run',
  );
});
after(() => rmSync(root, { recursive: true, force: true }));

for (const [i, form] of ['./run', 'run/', run].entries()) {
  test(`a run given as ${form === run ? 'an absolute path' : form}: recorded paths are relative to the run, nothing is written beside it`, () => {
    ok('explain', form, '--map', String(i), '--methods', 'gradient', '--cases', '4', '--max-cases', '64');
    ok('rank', form, '--trees', '5', '--marginal-null', '0', '--bootstraps', '0', '--repeats', '2', '--folds', '2');
    ok('embed', form, '--method', 'pca');
    ok('report', form, '--samples', '1', '--reconstructions', '2');
    assert.ok(!existsSync(join(run, 'run')), 'no run/run/ folder');
    for (const f of ['rank.json', 'embed-pca.json', 'figures/embed-pca.png', 'report.html', `explain/map-${i}.json`])
      assert.ok(existsSync(join(run, f)), f);

    const r = (JSON.parse(readFileSync(join(run, 'explain', `map-${i}.json`), 'utf8')) as { result: { figures: string[] } }).result;
    assert.ok(r.figures.length > 0);
    for (const f of r.figures) {
      assert.match(f, new RegExp(`^figures/map-${i}/[A-Za-z0-9_-]+\\.png$`), f);
      assert.ok(existsSync(join(run, f)), f);
    }
    const html = readFileSync(join(run, 'report.html'), 'utf8');
    assert.ok(!html.includes('figure file(s) listed in the JSON are missing'), 'no missing figures');
    assert.match(html, /decoded with <code>model\.safetensors<\/code>/);
    for (let k = 0; k <= i; k++)
      assert.match(
        html,
        new RegExp(`<h4>Traversal</h4><p class="note">Decoded outputs of explained case \\d+ \\(the first figure case\\) as map ${k}\\b`),
      );
  });
}

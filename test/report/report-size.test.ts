// A 96 px, four-channel run explained with every attribution method (issue 16): the report stays under
// 5 MB (images inlined at their display size; a glioma report was 9.5 MB), the figure cases follow the
// stated rule (spread over the map's activation) or the user's --figure-cases, and phantom masks are
// recorded as outlined.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { ExplainFile } from '../../src/report/run-files.js';

const cli = join(process.cwd(), 'dist/src/cli/main.js');
const root = mkdtempSync(join(tmpdir(), 'll-report-size-'));
const run = join(root, 'run');
const latentlens = (...args: string[]) =>
  spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, LATENTLENS_THREADS: '1' } });
const ok = (...args: string[]) => {
  const r = latentlens(...args);
  assert.equal(r.status, 0, `latentlens ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
};
const readExplain = (k: number) => (JSON.parse(readFileSync(join(run, 'explain', `map-${k}.json`), 'utf8')) as ExplainFile).result;

before(() => {
  ok(
    'train',
    '--data',
    'phantom:n=96,size=96,channels=T1,T2,FLAIR,T1c,lesion=FLAIR,distractor=T1',
    '--model',
    'conv-ae',
    '--latent-maps',
    '4',
    '--width',
    '8',
    '--latent-grid',
    '24x24',
    '--steps',
    '4',
    '--batch-size',
    '32',
    '--out',
    'run',
  );
});
after(() => rmSync(root, { recursive: true, force: true }));

test('a 96 px run explained with every method: figure cases by the stated rule, report under 5 MB', () => {
  const out = ok('explain', './run', '--map', '0', '--cases', '8', '--max-cases', '96');
  const r = readExplain(0);
  const f = r.figureCases!;
  assert.equal(f.chosen, 'spread');
  assert.equal(f.cases.length, 4);
  assert.ok(f.cases.every((c) => r.cases.explained.includes(c)));
  assert.deepEqual(
    [...f.activation].sort((a, b) => a - b),
    f.activation,
    'shown lowest to highest activation',
  );
  assert.match(f.rule, /4 of the 8 explained cases at evenly spaced ranks of map 0's mean activation/);
  assert.ok(
    f.cases[0] !== r.cases.explained[0] || f.cases[1] !== r.cases.explained[1] || f.cases[2] !== r.cases.explained[2],
    'not simply the first four',
  );
  assert.match(out, /figures: cases .* ground truth outlined: lesion green, distractor yellow/);
  assert.deepEqual(r.figureOutlines, [
    { mask: 'lesion', colour: 'green' },
    { mask: 'distractor', colour: 'yellow' },
  ]);
  const overlays = (r.figures ?? []).filter((p) => /-case\d+-ch\d/.test(p));
  assert.deepEqual(
    [...new Set(overlays.map((p) => Number(/-case(\d+)-/.exec(p)![1])))].sort((a, b) => a - b),
    [...f.cases].sort((a, b) => a - b),
  );

  ok('report', './run');
  const html = readFileSync(join(run, 'report.html'), 'utf8');
  const size = statSync(join(run, 'report.html')).size;
  assert.ok(size < 5 * 1024 * 1024, `report.html is ${(size / 1024 / 1024).toFixed(2)} MB`);
  assert.ok(!html.includes('figure file(s) listed in the JSON are missing'));
  assert.match(html, /Cases shown: .*evenly spaced ranks of map 0/);
  assert.match(html, /Ground truth outlined: lesion in green, distractor in yellow/);
});

test('--figure-cases picks the figure cases (added to the explained ones) and refuses a reference-class case', () => {
  const first = readExplain(0);
  const beyond = first.cases.explained.slice(0, 1);
  const r0 = latentlens(
    'explain',
    run,
    '--map',
    '1',
    '--methods',
    'gradient',
    '--cases',
    '4',
    '--max-cases',
    '96',
    '--figure-cases',
    `${beyond[0]},${first.cases.reference[0]}`,
  );
  assert.notEqual(r0.status, 0);
  assert.match(r0.stderr, new RegExp(`figure case ${first.cases.reference[0]} is of class 0, not of the explained class 1`));
  const picks = [first.cases.explained[7]!, first.cases.explained[5]!];
  ok('explain', run, '--map', '1', '--methods', 'gradient', '--cases', '4', '--max-cases', '96', '--figure-cases', picks.join(','));
  const r = readExplain(1);
  assert.deepEqual(r.figureCases!.cases, picks);
  assert.equal(r.figureCases!.chosen, 'user');
  assert.ok(
    picks.every((c) => r.cases.explained.includes(c)),
    'picked cases beyond --cases are explained',
  );
  assert.equal(r.cases.explained.length, 4);
  const overlays = (r.figures ?? []).filter((p) => /-case\d+-ch\d/.test(p));
  assert.deepEqual(
    [...new Set(overlays.map((p) => Number(/-case(\d+)-/.exec(p)![1])))].sort((a, b) => a - b),
    [...picks].sort((a, b) => a - b),
  );
});

// Numeric flags of every command go through src/cli/flags.ts (issue 16): `--seed abc` used to run on
// NaN. A malformed number fails at argument parsing, before the run folder is even looked at (it does
// not exist here), with the flag and the value in the message and a non-zero exit.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { indexListFlag, levelFlag, numberFlag, positiveIntFlag, positiveNumberFlag, wholeNumberFlag } from '../../src/cli/flags.js';

const cli = join(process.cwd(), 'dist/src/cli/main.js');
const NO_RUN = join(process.cwd(), 'no-such-run-folder');
const latentlens = (...args: string[]) =>
  spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, LATENTLENS_THREADS: '1' } });

const COMMANDS: [string, string[]][] = [
  ['rank', ['rank', NO_RUN]],
  ['embed', ['embed', NO_RUN]],
  ['explain', ['explain', NO_RUN, '--map', '0']],
  ['tcav', ['tcav', NO_RUN, '--concept', 'label:1']],
  ['metrics', ['metrics', NO_RUN]],
  ['train', ['train', '--data', 'phantom:n=8', '--out', NO_RUN]],
  ['demo', ['demo', '--out', NO_RUN]],
  ['smoke', ['smoke']],
];

for (const [name, args] of COMMANDS) {
  test(`${name} --seed abc fails at argument parsing`, () => {
    const r = latentlens(...args, '--seed', 'abc');
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /--seed abc: expected a number/, r.stderr);
    assert.doesNotMatch(r.stderr, /no-such-run-folder|config\.json|ENOENT/, 'nothing was loaded');
  });
}

test('negative and fractional counts are refused for each command', () => {
  const cases: [string[], RegExp][] = [
    [['rank', NO_RUN, '--trees', '-1'], /--trees -1: expected a whole number >= 1/],
    [['rank', NO_RUN, '--folds', '1'], /--folds 1: expected a whole number >= 2/],
    [['rank', NO_RUN, '--fdr', '0'], /--fdr 0: expected a number between 0 and 1/],
    [['rank', NO_RUN, '--exact-null', 'yes'], /--exact-null must be auto, on or off, got 'yes'/],
    [['embed', NO_RUN, '--neighbors', '2.5'], /--neighbors 2.5: expected a whole number >= 2/],
    [['embed', NO_RUN, '--perplexity', '-3'], /--perplexity -3: expected a number > 0/],
    [['explain', NO_RUN, '--map', '0', '--cases', '-1'], /--cases -1: expected a whole number >= 1/],
    [['explain', NO_RUN, '--map', '0', '--max-cases', 'many'], /--max-cases many: expected a number/],
    [['explain', NO_RUN, '--map', 'x'], /--map x: expected a map index/],
    [['tcav', NO_RUN, '--concept', 'label:1', '--runs', '0'], /--runs 0: expected a whole number >= 1/],
    [['tcav', NO_RUN, '--concept', 'label:1', '--alpha', '1.5'], /--alpha 1.5: expected a number between 0 and 1/],
    [['metrics', NO_RUN, '--bins', 'abc'], /--bins abc: expected a number/],
    [['report', NO_RUN, '--samples', '-2'], /--samples -2: expected a whole number >= 0/],
    [['serve', NO_RUN, '--port', 'abc'], /--port abc: expected a number/],
  ];
  for (const [args, message] of cases) {
    const r = latentlens(...args);
    assert.notEqual(r.status, 0, args.join(' '));
    assert.match(r.stderr, message, `${args.join(' ')}: ${r.stderr}`);
  }
});

test('the parsers', () => {
  assert.equal(numberFlag('--x')('1e-3'), 1e-3);
  assert.throws(() => numberFlag('--x')(' '), /--x  : expected a number/);
  assert.throws(() => numberFlag('--x')('Infinity'), /expected a number/);
  assert.equal(wholeNumberFlag('--x')('0'), 0);
  assert.throws(() => wholeNumberFlag('--x')('-1'), />= 0/);
  assert.equal(positiveIntFlag('--x', 2)('2'), 2);
  assert.throws(() => positiveIntFlag('--x', 2)('1'), />= 2/);
  assert.equal(positiveNumberFlag('--x', true)('0'), 0);
  assert.throws(() => positiveNumberFlag('--x')('0'), /> 0/);
  assert.equal(levelFlag('--x')('0.05'), 0.05);
  assert.throws(() => levelFlag('--x')('1'), /between 0 and 1/);
  assert.deepEqual(indexListFlag('--x')('3, 0,12'), [3, 0, 12]);
  assert.throws(() => indexListFlag('--x')('1,,2'), /comma-separated/);
  assert.throws(() => indexListFlag('--x')('1,1'), /repeated/);
  assert.throws(() => indexListFlag('--x')('1,a'), /--x a: expected a number/);
});

// Run files are checked for their kind and version before anything reads their numbers.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkRunFile, RUN_FILE_FORMATS } from '../../src/runs/run-file-format.js';
import { readRunFiles } from '../../src/report/run-files.js';

test('a newer version, another format or not an object is refused naming the file; older files pass', () => {
  const v = RUN_FILE_FORMATS.rank.version;
  assert.doesNotThrow(() => checkRunFile('rank', { format: 'latentlens-rank', version: v }, 'rank.json'));
  assert.doesNotThrow(() => checkRunFile('rank', { ranking: [0] }, 'rank.json'), 'a file from before format/version');
  assert.doesNotThrow(() => checkRunFile('rank', { format: 'latentlens-rank', version: 1 }, 'rank.json'));
  assert.throws(() => checkRunFile('rank', { format: 'latentlens-rank', version: v + 1 }, 'run/rank.json'),
    new RegExp(`run/rank\\.json is latentlens-rank version ${v + 1}; this latentlens reads up to version ${v}: update latentlens, or re-run 'latentlens rank'`));
  assert.throws(() => checkRunFile('tcav', { format: 'latentlens-rank', version: 2 }, 'tcav.json'), /tcav\.json: its format is "latentlens-rank", not latentlens-tcav/);
  assert.throws(() => checkRunFile('health', [1, 2], 'health.json'), /health\.json: expected a JSON object \(a latentlens-health file\), got an array/);
  assert.throws(() => checkRunFile('explain', { format: 'latentlens-explain', version: 'one' }, 'map-0.json'), /version "one" is not a positive whole number/);
});

test('the report reads a future rank.json as unreadable, with the reason, and the rest of the run as usual', () => {
  const dir = mkdtempSync(join(tmpdir(), 'latentlens-runfile-'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ model: { kind: 'conv-ae' }, data: { spec: 'phantom:n=8' } }));
  writeFileSync(join(dir, 'rank.json'), JSON.stringify({ format: 'latentlens-rank', version: 99, ranking: [0] }));
  writeFileSync(join(dir, 'health.json'), JSON.stringify({ format: 'latentlens-health', version: 1 }));
  const files = readRunFiles(dir);
  assert.equal(files.rank.status, 'error');
  assert.match((files.rank as { error: string }).error, /version 99; this latentlens reads up to version 2/);
  assert.equal(files.health.status, 'ok');
});

// Run files are one envelope, checked for their kind and version before anything reads their numbers;
// each analysis file written by the runs layer reads back through the same schema as the report reads it.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkRunFile, readRunEnvelope, RUN_FILE_FORMATS, writeRunEnvelope, type AnalysisFileKind } from '../../src/runs/run-file.js';
import { readRunFiles } from '../../src/report/run-files.js';
import { embedFile, explainFile, metricsFile, rankFile, tcavFile, writeRunFolder } from '../report/fixture.js';

test('another format, another version or not an object is refused naming the file and what to re-run', () => {
  const v = RUN_FILE_FORMATS.rank.version;
  const ok = { format: 'latentlens-rank', version: v, created: 'now', inputs: {}, settings: {}, result: {} };
  assert.doesNotThrow(() => checkRunFile('rank', ok, 'rank.json'));
  assert.throws(
    () => checkRunFile('rank', { ranking: [0] }, 'run/rank.json'),
    /run\/rank\.json was written by an older latentlens \(no format; this one reads version 3\): re-run 'latentlens rank'/,
  );
  assert.throws(
    () => checkRunFile('rank', { ...ok, version: 2 }, 'rank.json'),
    /older latentlens \(latentlens-rank version 2; this one reads version 3\): re-run 'latentlens rank'/,
  );
  assert.throws(
    () => checkRunFile('rank', { ...ok, version: v + 1 }, 'run/rank.json'),
    new RegExp(
      `run/rank\\.json is latentlens-rank version ${v + 1}; this latentlens reads up to version ${v}: update latentlens, or re-run 'latentlens rank'`,
    ),
  );
  assert.throws(() => checkRunFile('rank', { ...ok, result: [1] }, 'rank.json'), /its 'result' is not an object/);
  assert.throws(
    () => checkRunFile('tcav', { ...ok, format: 'latentlens-rank' }, 'tcav.json'),
    /tcav\.json: its format is "latentlens-rank", not latentlens-tcav/,
  );
  assert.throws(
    () => checkRunFile('health', [1, 2], 'health.json'),
    /health\.json: expected a JSON object \(a latentlens-health file\), got an array/,
  );
  assert.throws(
    () => checkRunFile('explain', { format: 'latentlens-explain', version: 'one' }, 'map-0.json'),
    /version "one" is not a positive whole number/,
  );
  // health.json is the training's flat record: its older versions (and files from before versions) are read as they are.
  assert.doesNotThrow(() => checkRunFile('health', { passed: true }, 'health.json'));
});

test('each analysis file round-trips through the shared schema: written, read back equal, stamped with its kind and version', () => {
  const dir = mkdtempSync(join(tmpdir(), 'latentlens-roundtrip-'));
  const files: [AnalysisFileKind, string, { inputs: unknown; settings: unknown; result: unknown }][] = [
    ['rank', 'rank.json', rankFile()],
    ['explain', 'map-1.json', explainFile()],
    ['tcav', 'tcav.json', tcavFile()],
    ['metrics', 'metrics.json', metricsFile()],
    ['embed', 'embed-pca.json', embedFile()],
  ];
  for (const [kind, rel, file] of files) {
    const parts = { inputs: file.inputs as never, settings: file.settings, result: file.result };
    const { envelope, path } = writeRunEnvelope(dir, rel, kind, parts);
    assert.equal(path, join(dir, rel));
    assert.equal(envelope.format, RUN_FILE_FORMATS[kind].format);
    assert.equal(envelope.version, RUN_FILE_FORMATS[kind].version);
    assert.ok(!Number.isNaN(Date.parse(envelope.created)));
    const back = readRunEnvelope(kind, path);
    assert.deepEqual(back, JSON.parse(JSON.stringify(envelope)), `${kind} reads back as written`);
    assert.throws(() => readRunEnvelope(kind === 'rank' ? 'tcav' : 'rank', path), /its format is/, `${kind} is not read as another kind`);
  }
  assert.throws(
    () => writeRunEnvelope(dir, '../outside.json', 'rank', { inputs: files[0]![2].inputs as never, settings: {}, result: {} }),
    /refusing to write/,
  );
});

test('the report reads a future rank.json as unreadable, with the reason, and the rest of the run as usual', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'latentlens-runfile-'));
  await writeRunFolder(dir, { analyses: true });
  const rank = JSON.parse(readFileSync(join(dir, 'rank.json'), 'utf8')) as { version: number };
  writeFileSync(join(dir, 'rank.json'), JSON.stringify({ ...rank, version: 99 }));
  writeFileSync(join(dir, 'health.json'), JSON.stringify({ format: 'latentlens-health', version: 1 }));
  const files = readRunFiles(dir);
  assert.equal(files.rank.status, 'error');
  assert.match((files.rank as { error: string }).error, /version 99; this latentlens reads up to version 3/);
  assert.equal(files.health.status, 'ok');
  assert.equal(files.tcav.status, 'ok');
  assert.equal(files.metrics.status, 'ok');
  assert.equal(files.embeds[0]!.read.status, 'ok');
  assert.equal(files.explains[0]!.read.status, 'ok');
});

// Reruns statistical tests under several seed offsets (LATENTLENS_TEST_SEED) and prints every recorded
// assertion's worst margin (test/helpers/margin.ts). Thresholds only record there (LATENTLENS_MARGIN_SOFT),
// so every margin of a run is seen; plain assertions still fail the run. Not part of the suite.
//   node scripts/seed-sweep.mjs [--seeds 20] [test-file-filter ...]
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const si = args.indexOf('--seeds');
const seeds = si >= 0 ? Number(args.splice(si, 2)[1]) : 20;
const filters = args.length > 0 ? args : ['phantom-explain', 'tcav', 'importance.test', 'public-entry', 'design.test', 'attribution'];
const log = join(mkdtempSync(join(tmpdir(), 'latentlens-sweep-')), 'margins.jsonl');
let failedRuns = 0;
for (let s = 0; s < seeds; s++) {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['scripts/run-tests.mjs', ...filters], {
    env: { ...process.env, LATENTLENS_TEST_SEED: String(s), LATENTLENS_MARGIN_LOG: log, LATENTLENS_MARGIN_SOFT: '1' },
    encoding: 'utf8',
  });
  const last =
    (r.stdout ?? '')
      .trim()
      .split('\n')
      .filter((l) => /passed, \d+ failed/.test(l))
      .pop() ?? '(no count)';
  if (r.status !== 0) failedRuns++;
  console.error(`seed offset ${s}: ${last} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
}
const rows = existsSync(log)
  ? readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
  : [];
const worst = new Map();
for (const r of rows) {
  const w = worst.get(r.what);
  if (!w)
    worst.set(r.what, {
      what: r.what,
      runs: 1,
      failures: r.margin < 0 ? 1 : 0,
      worstMargin: r.margin,
      worstValue: r.value,
      bound: r.bound,
      worstSeed: r.seed,
    });
  else {
    w.runs++;
    if (r.margin < 0) w.failures++;
    if (r.margin < w.worstMargin) Object.assign(w, { worstMargin: r.margin, worstValue: r.value, worstSeed: r.seed });
  }
}
const table = [...worst.values()].sort((a, b) => a.worstMargin - b.worstMargin);
for (const w of table) console.log(JSON.stringify(w));
console.log(
  `${seeds} seed offsets, ${failedRuns} runs with a failing test, ${table.filter((w) => w.failures > 0).length} assertions failed at least once`,
);
process.exit(failedRuns > 0 ? 1 : 0);

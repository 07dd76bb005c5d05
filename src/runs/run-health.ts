// Model health as the analyses see it (src/train/health.ts): the run's health.json when training (or an
// earlier analysis) wrote it for the weights being analysed; otherwise, for runs made before the check
// existed, computed on the fly from the run's own data (one pass over its val split) and written to
// health.json, so `report` and `serve`, which only read files, show it too. An analysis on other data
// (--data) of a run without health.json cannot compute it: it says "health not recorded".
import { relative, sep } from 'node:path';
import type { CaseDataset } from '../data/types.js';
import { checkHealth, HEALTH_FILE, readHealth, writeHealth, type HealthRecord } from '../train/health.js';
import type { OpenedRun } from '../train/run-folder.js';
import { trainingSplits } from '../train/trainer.js';

export type RunHealth = { status: 'recorded' | 'computed'; record: HealthRecord } | { status: 'not-recorded'; record: null; why: string };

/** What analyses put in their JSON output: whether the model passed, and the warning when it did not. */
export interface HealthSummary {
  status: RunHealth['status'];
  passed: boolean | null;
  warning: string | null;
}

/** health.json when it describes the weights `weights` (a record without `weights` is taken as current). */
export function recordedHealth(dir: string, weights: string | null): HealthRecord | null {
  const r = readHealth(dir);
  return r && (r.weights === undefined || r.weights === weights) ? r : null;
}

/**
 * The health of an opened run. `data` and `dataSpec` are what the analysis loaded: the check is computed
 * only on the run's own data spec. With `write` (default true) a computed record is written to health.json.
 */
export function runHealth(run: OpenedRun, data: CaseDataset | null, o: { dataSpec?: string; write?: boolean } = {}): RunHealth {
  const weights = relative(run.dir, run.weights).split(sep).join('/');
  const recorded = recordedHealth(run.dir, weights);
  if (recorded) return { status: 'recorded', record: recorded };
  const own = typeof run.config.dataSpec === 'string' ? run.config.dataSpec : undefined;
  const stale = readHealth(run.dir) !== null;
  const missing = stale
    ? `${HEALTH_FILE} describes other weights than ${weights}`
    : `the run has no ${HEALTH_FILE} (made before the check existed?)`;
  if (!data || !own) return { status: 'not-recorded', record: null, why: `${missing}, and no data spec to check it on` };
  if (o.dataSpec !== undefined && o.dataSpec !== own) {
    return {
      status: 'not-recorded',
      record: null,
      why: `${missing}; it is checked on the run's own data (${own}), and this analysis uses ${o.dataSpec}`,
    };
  }
  const splits = trainingSplits(data, run.config.train?.seed ?? run.config.seed);
  const hasVal = splits.val.length > 0;
  const step = /step-(\d+)/.exec(weights);
  const record = checkHealth(run.model, data, {
    train: splits.train,
    eval: hasVal ? splits.val : splits.train,
    evalSplit: hasVal ? 'val' : 'train',
    dataRange: run.config.train?.dataRange ?? 1,
    source: 'analysis',
    weights,
    ...(typeof run.config.from === 'string' ? { encoderRun: run.config.from } : {}),
    ...(step ? { step: Number(step[1]) } : {}),
  });
  if (o.write !== false) {
    try {
      writeHealth(run.dir, record);
    } catch {
      // A read-only run folder still gets the warning printed; only the file is missing.
    }
  }
  return { status: 'computed', record };
}

export function healthSummary(h: RunHealth): HealthSummary {
  return { status: h.status, passed: h.record ? h.record.passed : null, warning: h.record?.warning ?? null };
}

/** Prints the warning (and its reasons) of a failed run, or that health is not recorded; nothing when it passed. */
export function printHealth(h: RunHealth, log: (line: string) => void = (l) => console.log(l)): void {
  if (!h.record) {
    log(`note: model health not recorded for this run: ${h.why}`);
    return;
  }
  if (h.record.passed) return;
  log(h.record.warning!);
  for (const reason of h.record.reasons) log(`  - ${reason}`);
}

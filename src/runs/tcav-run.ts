// tcavRun: testing with concept activation vectors — is a concept's direction in a run's latent space
// significant for a class of the target? Writes tcav.json (one envelope, run-file.ts) with `result` a
// TcavResult (src/explain/tcav/README.md).
import { ScriptModule } from '../engine/script.js';
import { resolveConcept, runTcav, scriptLabelHead, trainProbe, type LabelHead, type TcavResult } from '../explain/tcav/index.js';
import { resolveTarget, targetRecord } from '../data/target.js';
import { encodeRun, pickRows } from './encode-run.js';
import type { SplitChoice } from './run-data.js';
import { healthSummary } from './run-health.js';
import { writeRunEnvelope, type RunFileEnvelope, type RunInputs } from './run-file.js';
import { logOf, type RunLog } from './run-log.js';
import { defined } from './run-options.js';

export interface TcavRunOptions {
  /** Concept specs: factor:lesion_present=1, ids:file.csv, folder:dir, label:1, indices:0-9, random:50; `#name` names one. */
  concepts: string[];
  /** Class of the target whose logit is differentiated; default the target's positive class. */
  class?: number;
  target?: string;
  /** 'mlp' or 'logistic' (a probe trained on the latents), or a TorchScript classifier over latents (a .pt path). */
  head?: string;
  /** Classes of a TorchScript head; default from the labels. */
  headClasses?: number;
  /** CAVs per concept; default 20. */
  runs?: number;
  /** Most cases per concept or random set in one CAV; default 50. */
  setSize?: number;
  /** Family-wise level (Bonferroni over concepts); default 0.05. */
  alpha?: number;
  /** Random concepts per concept size (default: runTcav's). */
  randomConcepts?: number;
  seed?: number;
  data?: string;
  split?: SplitChoice;
  /** Draw a concept's random sets from all cases (Kim et al.), not only from cases outside it. */
  keepRandomConcept?: boolean;
  /** Output file; default <run>/tcav.json. */
  out?: string;
}

export const TCAV_DEFAULTS = { head: 'mlp', runs: 20, setSize: 50, alpha: 0.05, seed: 0, keepRandomConcept: false } as const;

export type TcavSettings = Omit<TcavRunOptions, 'data' | 'split' | 'target' | 'out'> & {
  head: string;
  runs: number;
  setSize: number;
  alpha: number;
  seed: number;
  keepRandomConcept: boolean;
};
export type TcavInputs = RunInputs & { concepts: { name: string; spec?: string; cases: number }[] };
export type TcavFile = RunFileEnvelope<TcavResult, TcavInputs, TcavSettings>;

export async function tcavRun(dir: string, options: TcavRunOptions, out: RunLog = {}): Promise<{ file: TcavFile; path: string }> {
  const log = logOf(out);
  const { data: dataSpec, split: splitAsked, target: targetAsked, out: outFile, ...rest } = options;
  const s: TcavSettings = { ...TCAV_DEFAULTS, ...defined(rest), concepts: rest.concepts };
  const split = splitAsked ?? 'all';
  const enc = await encodeRun(dir, { data: dataSpec, split, command: 'tcav', log });
  const { data, indices } = enc;
  try {
    if (targetAsked === undefined && (!data.labels || (data.labelWidth ?? 1) !== 1))
      throw new Error(`${enc.dataSpec}: TCAV needs single-label data (or a column: --target <column>)`);
    const target = resolveTarget(targetAsked, data, indices);
    log(`target: ${target.description}`);
    const labels = target.labels;
    const dataLabels = data.labels && (data.labelWidth ?? 1) === 1 ? pickRows(data.labels, 1, indices) : undefined;
    const seed = s.seed;
    const ctx = {
      n: indices.length,
      seed,
      ...(dataLabels
        ? {
            labels: dataLabels,
            ...(data.classNames ? { classNames: data.classNames } : {}),
            ...(data.task ? { labelTask: data.task } : {}),
          }
        : {}),
      ...(data.factors
        ? { factors: { names: data.factors.names, values: pickRows(data.factors.values, data.factors.names.length, indices) } }
        : {}),
      ...(data.ids ? { ids: Array.from(indices, (i) => data.ids![i]!) } : {}),
      ...(data.columns
        ? { columns: Object.fromEntries(Object.entries(data.columns).map(([k, v]) => [k, Array.from(indices, (i) => v[i] ?? '')])) }
        : {}),
    };
    const concepts = s.concepts.map((spec) => resolveConcept(spec, ctx));
    const targetClass = s.class ?? target.positiveClass;
    if (!(Number.isInteger(targetClass) && targetClass >= 0 && targetClass < target.classNames.length))
      throw new Error(
        `--class ${s.class}: expected a class index 0..${target.classNames.length - 1} of the target (${target.classNames.join(', ')})`,
      );
    let head: LabelHead;
    if (s.head === 'mlp' || s.head === 'logistic') {
      head = trainProbe(enc.maps, labels, { kind: s.head, seed });
      log(`${s.head} probe: held-out accuracy ${head.heldOutAccuracy?.toFixed(3)}`);
    } else {
      const classes = s.headClasses ?? Math.max(...labels) + 1;
      head = scriptLabelHead(ScriptModule.load(s.head), classes);
    }
    let result: TcavResult;
    try {
      result = runTcav(enc.maps, labels, concepts, {
        head,
        targetClass,
        runs: s.runs,
        setSize: s.setSize,
        alpha: s.alpha,
        seed,
        excludeConceptFromRandom: !s.keepRandomConcept,
        classNames: target.classNames,
        ...(s.randomConcepts ? { randomConcepts: s.randomConcepts } : {}),
      });
    } finally {
      head.dispose();
    }
    const { envelope, path } = writeRunEnvelope(
      dir,
      'tcav.json',
      'tcav',
      {
        inputs: {
          run: dir,
          data: enc.dataSpec,
          split,
          cases: indices.length,
          target: targetRecord(target),
          health: healthSummary(enc.health),
          concepts: concepts.map((c) => ({ name: c.name, spec: c.spec, cases: c.indices.length })),
        },
        settings: s,
        result,
      },
      outFile,
    );
    const className = target.classNames[targetClass] ?? String(targetClass);
    log(`class ${className}: ${result.cases} cases; label head: ${result.gate.note}`);
    if (!result.gate.passed) log('NO VERDICTS: the label head does not beat the majority-class rate.');
    log(
      `test: each concept's mean score against ${result.significance.randomConcepts} random concepts of its size (fewer when clearly not significant), ` +
        `${result.runs} CAVs each, Bonferroni over ${result.concepts.length} concepts at alpha ${result.alpha}; ${result.cost.cavFits} CAVs in ${result.cost.seconds.toFixed(1)} s`,
    );
    for (const c of result.concepts) {
      log(`${c.name}: ${c.verdict.toUpperCase()}: ${c.reason}`);
      log(
        `  score ${c.score.toFixed(3)} +- ${c.std.toFixed(3)}, CAV accuracy ${c.cavAccuracy.toFixed(3)}, p ${c.p.toPrecision(2)} (Bonferroni ${c.pBonferroni.toPrecision(2)}); ` +
          `version-1 t-test p ${c.tTest.p.toExponential(2)} (for comparison only)`,
      );
      for (const w of c.warnings) log(`  warning: ${w}`);
    }
    log(`wrote ${path}`);
    return { file: envelope, path };
  } finally {
    enc.run.model.dispose();
  }
}

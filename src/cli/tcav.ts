// `latentlens tcav <run> --concept <spec> ...`: TCAV of concepts for a class, at the run's latent maps.
// Writes <run>/tcav.json: { format, version, command, created, run, dataSpec, split, concepts (spec ->
// cases), result } with `result` a TcavResult (src/explain/tcav/README.md).
import { join } from 'node:path';
import type { Command } from 'commander';
import { ScriptModule } from '../engine/script.js';
import { resolveConcept, runTcav, scriptLabelHead, trainProbe, TCAV_RESULT_VERSION, type LabelHead } from '../explain/tcav/index.js';
import { resolveTarget, targetRecord } from '../data/target.js';
import { writeJsonAtomic } from '../util/atomic-write.js';
import { encodeRun, pickRows, type SplitChoice } from './analysis-run.js';
import { levelFlag, positiveIntFlag as atLeast, wholeNumberFlag as whole } from './flags.js';

interface TcavFlags {
  concept: string[]; class?: number; target?: string; head: string; headClasses?: number; runs: number; setSize: number; alpha: number;
  randomConcepts?: number; seed: number; data?: string; split: string; keepRandomConcept?: boolean; out?: string;
}

export function registerTcav(program: Command): void {
  program
    .command('tcav')
    .description("Testing with concept activation vectors: is a concept's direction in latent space significant for a class? Writes tcav.json.")
    .argument('<run>', 'run folder (from latentlens train)')
    .requiredOption('--concept <spec...>', 'concept specs: factor:lesion_present=1, factor:lesion_radius>0.09, ids:file.csv, folder:dir, label:1, label:>=3, label:3,4, indices:0-9, random:50; #name to name one')
    .option('--target <expr>', "the head's classes: label (as is), label>=2, 'label in 3,4', one-vs-rest:3, ordinal, or a column (src/data/target.ts)")
    .option('--class <k>', "class (of the target) whose logit is differentiated (default: the target's positive class)", whole('--class'))
    .option('--head <kind|file.pt>', 'label head: mlp or logistic probe trained on the latents, or a TorchScript classifier over latents', 'mlp')
    .option('--head-classes <n>', 'number of classes of a TorchScript head (default: from the labels)', atLeast('--head-classes', 2))
    .option('--runs <n>', 'CAVs per concept, each against its own random set', atLeast('--runs'), 20)
    .option('--set-size <n>', 'most cases per concept or random set in one CAV', atLeast('--set-size', 2), 50)
    .option('--alpha <p>', 'family-wise significance level (Bonferroni over concepts)', levelFlag('--alpha'), 0.05)
    .option('--random-concepts <n>', 'random concepts per concept size, the null of the test (default ceil(20 x concepts / alpha) - 1)', atLeast('--random-concepts'))
    .option('--seed <n>', 'seed', whole('--seed'), 0)
    .option('--data <spec>', "data spec (default: the run's)")
    .option('--split <name>', 'cases: all, train, val or test', 'all')
    .option('--keep-random-concept', "draw a concept's random sets from all cases (Kim et al.), not only from cases outside it")
    .option('--out <file>', 'output JSON (default <run>/tcav.json)')
    .action(async (dir: string, f: TcavFlags) => {
      const enc = await encodeRun(dir, { data: f.data, split: f.split as SplitChoice, command: 'tcav' });
      const { data, indices } = enc;
      if (f.target === undefined && (!data.labels || (data.labelWidth ?? 1) !== 1)) throw new Error(`${enc.dataSpec}: TCAV needs single-label data (or a column: --target <column>)`);
      const target = resolveTarget(f.target, data, indices);
      console.log(`target: ${target.description}`);
      const labels = target.labels;
      const dataLabels = data.labels && (data.labelWidth ?? 1) === 1 ? pickRows(data.labels, 1, indices) : undefined;
      const seed = f.seed;
      const ctx = {
        n: indices.length, seed,
        ...(dataLabels ? { labels: dataLabels, ...(data.classNames ? { classNames: data.classNames } : {}), ...(data.task ? { labelTask: data.task } : {}) } : {}),
        ...(data.factors ? { factors: { names: data.factors.names, values: pickRows(data.factors.values, data.factors.names.length, indices) } } : {}),
        ...(data.ids ? { ids: Array.from(indices, (i) => data.ids![i]!) } : {}),
      };
      const concepts = f.concept.map((spec) => resolveConcept(spec, ctx));
      const targetClass = f.class ?? target.positiveClass;
      if (!(Number.isInteger(targetClass) && targetClass >= 0 && targetClass < target.classNames.length)) throw new Error(`--class ${f.class}: expected a class index 0..${target.classNames.length - 1} of the target (${target.classNames.join(', ')})`);
      let head: LabelHead;
      if (f.head === 'mlp' || f.head === 'logistic') {
        head = trainProbe(enc.maps, labels, { kind: f.head, seed });
        console.log(`${f.head} probe: held-out accuracy ${head.heldOutAccuracy?.toFixed(3)}`);
      } else {
        const classes = f.headClasses ?? Math.max(...labels) + 1;
        head = scriptLabelHead(ScriptModule.load(f.head), classes);
      }
      const result = runTcav(enc.maps, labels, concepts, {
        head, targetClass, runs: f.runs, setSize: f.setSize,
        alpha: f.alpha, seed, excludeConceptFromRandom: !f.keepRandomConcept, classNames: target.classNames,
        ...(f.randomConcepts ? { randomConcepts: f.randomConcepts } : {}),
      });
      head.dispose();
      const out = f.out ?? join(dir, 'tcav.json');
      writeJsonAtomic(out, {
        format: 'latentlens-tcav', version: TCAV_RESULT_VERSION, command: 'tcav', created: new Date().toISOString(), run: dir, dataSpec: enc.dataSpec, split: f.split,
        head: f.head, target: targetRecord(target), concepts: concepts.map((c) => ({ name: c.name, spec: c.spec, cases: c.indices.length })), result,
      });
      const className = target.classNames[targetClass] ?? String(targetClass);
      console.log(`class ${className}: ${result.cases} cases; label head: ${result.gate.note}`);
      if (!result.gate.passed) console.log('NO VERDICTS: the label head does not beat the majority-class rate.');
      console.log(`test: each concept's mean score against ${result.significance.randomConcepts} random concepts of its size (fewer when clearly not significant), ` +
        `${result.runs} CAVs each, Bonferroni over ${result.concepts.length} concepts at alpha ${result.alpha}; ${result.cost.cavFits} CAVs in ${result.cost.seconds.toFixed(1)} s`);
      for (const c of result.concepts) {
        console.log(`${c.name}: ${c.verdict.toUpperCase()}: ${c.reason}`);
        console.log(`  score ${c.score.toFixed(3)} +- ${c.std.toFixed(3)}, CAV accuracy ${c.cavAccuracy.toFixed(3)}, p ${c.p.toPrecision(2)} (Bonferroni ${c.pBonferroni.toPrecision(2)}); ` +
          `version-1 t-test p ${c.tTest.p.toExponential(2)} (for comparison only)`);
        for (const w of c.warnings) console.log(`  warning: ${w}`);
      }
      console.log(`wrote ${out}`);
    });
}

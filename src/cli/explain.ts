// `latentlens explain <run> --map <k|top>`: flags of explainRun (src/runs/explain-run.ts), which writes
// explain/map-<k>.json and the figures of the map.
import type { Command } from 'commander';
import { FIGURE_CASES } from '../explain/figures.js';
import { ATTRIBUTION_METHOD_NAMES as METHODS } from '../explain/attribution/methods.js';
import { explainRun, type ExplainRunOptions } from '../runs/explain-run.js';
import { EXPLAIN_DEFAULTS as D } from '../runs/explain-options.js';
import { StageProgress } from '../util/progress.js';
import { indexListFlag, positiveIntFlag as atLeast, wholeNumberFlag as whole } from './flags.js';

type ExplainFlags = Omit<ExplainRunOptions, 'map' | 'methods'> & { map: string; methods?: string };

/** --map: a whole number, or 'top' (the first map of rank.json). */
function mapFlag(v: string): number | 'top' {
  if (v === 'top') return v;
  if (!/^\s*\d+\s*$/.test(v)) throw new Error(`--map ${v}: expected a map index (a whole number >= 0) or 'top'`);
  return Number(v);
}

export function registerExplain(program: Command): void {
  program
    .command('explain <run>')
    .description('explain one latent map: input channel and region (with controls), decoder effects and entanglement, what it responds to')
    .requiredOption('--map <k|top>', "map index, or 'top' for the first of rank.json")
    .option('--methods <list>', `attribution methods, comma-separated (${METHODS.join(', ')})`)
    .option('--cases <n>', 'cases to explain (of the positive class when there are labels)', atLeast('--cases'), D.cases)
    .option(
      '--figure-cases <i,j,...>',
      `cases shown in the figures and traversed (indices of the loaded cases, of the explained class; default: ${FIGURE_CASES} spread over the map's activation)`,
      indexListFlag('--figure-cases'),
    )
    .option('--data <spec>', 'data (default: the spec the run was trained on)')
    .option('--split <name>', 'train, val, test or all', 'all')
    .option('--max-cases <n>', 'cases loaded for the population-level tests', atLeast('--max-cases'), D.maxCases)
    .option('--seed <n>', 'seed of every random choice', whole('--seed'), D.seed)
    .option(
      '--target <expr>',
      "positive and reference cases: label (as is), label>=2, 'label in 3,4', one-vs-rest:3, ordinal, or a column (src/data/target.ts)",
    )
    .option(
      '--occlusion-window <n>',
      'volumes: side of the cubic occlusion window in voxels (default a quarter of the shortest side)',
      atLeast('--occlusion-window'),
    )
    .option(
      '--occlusion-stride <n>',
      'volumes: step between occlusion windows in voxels (default the window; smaller costs more forward passes)',
      atLeast('--occlusion-stride'),
    )
    .addHelpText(
      'after',
      '\nOn a 3D model (volumes) explain runs the attribution methods integrated-gradients, occlusion (3D window) and grad-cam,\n' +
        'decoder-side ablation and the entanglement index, and says what else is not computed on volumes yet (masked\n' +
        'decoding, channel muting, traversals, activation maximisation, exemplars).',
    )
    .action(async (dir: string, f: ExplainFlags) => {
      const methods = f.methods?.split(',').map((s) => s.trim());
      await explainRun(
        dir,
        { ...f, map: mapFlag(f.map), methods },
        { log: (l) => console.log(l), progress: new StageProgress(process.stderr) },
      );
    });
}

// `latentlens rank <run>`: flags of rankRun (src/runs/rank-run.ts), which writes rank.json.
import type { Command } from 'commander';
import { parsePooling } from '../models/pool-latents.js';
import { rankRun, RANK_DEFAULTS as D, RANK_POOLINGS, type RankRunOptions } from '../runs/rank-run.js';
import { StageProgress } from '../util/progress.js';
import { levelFlag, positiveIntFlag as atLeast, wholeNumberFlag as whole } from './flags.js';

type RankFlags = Omit<RankRunOptions, 'conditional'> & { conditional: boolean | 'loco' | 'cpi'; maxCases?: number };

export function registerRank(program: Command): void {
  program
    .command('rank <run>')
    .description(
      "rank latent maps by how much a forest's held-out Brier score worsens without them (marginal, and conditional on the other maps), with t-intervals, p-values and FDR, and stability; writes rank.json",
    )
    .option('--data <spec>', 'data to rank on (default: the spec the run was trained on)')
    .option('--split <name>', 'train, val, test or all', 'all')
    .option(
      '--pooling <kind>',
      "features per map: 'summary' (mean, max, std), 'mean' or 'grid' (every cell)",
      (v: string) => parsePooling(v, RANK_POOLINGS),
      D.pooling,
    )
    .option('--trees <n>', 'trees per forest', atLeast('--trees'), D.trees)
    .option('--evaluation <kind>', "where importance is measured: 'cv' (stratified K-fold), 'holdout' (25%) or 'oob'", D.evaluation)
    .option('--folds <n>', 'folds of --evaluation cv', atLeast('--folds', 2), D.folds)
    .option('--cv-repeats <n>', 'repeats of the K-fold split', atLeast('--cv-repeats'), D.cvRepeats)
    .option(
      '--conditional <method>',
      "the conditional test (map given the other maps): 'loco' (refit without the map, against refits with other seeds) or 'cpi' (linear conditional draws, paired t-test; cheaper, errs towards the marginal answer)",
      conditionalMethod,
      'loco',
    )
    .option('--no-conditional', 'skip the conditional test')
    .option(
      '--conditional-null <n>',
      "LOCO: forests refitted with every map and other seeds per fit, the conditional verdict's null",
      atLeast('--conditional-null', 5),
      D.conditionalNull,
    )
    .option(
      '--marginal-null <n>',
      "label permutations of the marginal verdict's null: the evaluation re-run on shuffled labels (0: the uncalibrated t-test)",
      whole('--marginal-null'),
      D.marginalNull,
    )
    .option(
      '--null-permutations <n>',
      'label permutations of the PIMP null model, for reference only (0 skips it)',
      whole('--null-permutations'),
      D.nullPermutations,
    )
    .option('--bootstraps <n>', 'bootstrap refits for rank stability (0 skips)', whole('--bootstraps'), D.bootstraps)
    .option('--repeats <n>', 'replacement draws per map and case', atLeast('--repeats'), D.repeats)
    .option('--fdr <q>', 'Benjamini-Hochberg FDR level', levelFlag('--fdr'), D.fdr)
    .option('--max-cases <n>', 'use at most this many cases', atLeast('--max-cases'))
    .option('--seed <n>', 'seed of every random choice', whole('--seed'), D.seed)
    .option(
      '--target <expr>',
      "what the forest predicts: label (as is), label>=2, 'label in 3,4', one-vs-rest:3, ordinal, or a column (src/data/target.ts)",
    )
    .action(async (dir: string, f: RankFlags) => {
      const conditional = f.conditional === true ? 'loco' : f.conditional;
      await rankRun(dir, { ...f, conditional }, { log: (l) => console.log(l), progress: new StageProgress(process.stderr) });
    });
}

function conditionalMethod(v: string): 'loco' | 'cpi' {
  if (v !== 'loco' && v !== 'cpi') throw new Error(`--conditional must be loco or cpi, got '${v}'`);
  return v;
}

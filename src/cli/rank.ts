// `latentlens rank <run>`: flags of rankRun (src/runs/rank-run.ts), which writes rank.json. Under --nproc
// or torchrun the ranks split the refits and rank 0 writes and prints.
import type { Command } from 'commander';
import { processGroupShare } from '../explain/importance/process-group-share.js';
import { parsePooling } from '../models/pool-latents.js';
import { rankRun, RANK_DEFAULTS as D, RANK_POOLINGS, type RankRunOptions } from '../runs/rank-run.js';
import { StageProgress } from '../util/progress.js';
import { addDistributedOptions, startDistributed, type DistributedFlags } from './distributed-flags.js';
import { levelFlag, positiveIntFlag as atLeast, wholeNumberFlag as whole } from './flags.js';

type RankFlags = Omit<RankRunOptions, 'conditional' | 'share'> &
  DistributedFlags & { conditional: boolean | 'loco' | 'cpi'; maxCases?: number };

async function action(dir: string, f: RankFlags): Promise<void> {
  const { nproc: _nproc, masterPort: _port, distTimeout: _timeout, ...options } = f;
  const start = await startDistributed('rank', f);
  if (start.launched !== null) {
    process.exitCode = start.launched;
    return;
  }
  const { group } = start;
  // A rank of several gets the launcher's share of the cores (LATENTLENS_THREADS) unless --threads says.
  const shared = group && Number(process.env.LATENTLENS_THREADS) > 0 ? Number(process.env.LATENTLENS_THREADS) : undefined;
  const threads = options.threads ?? shared;
  const conditional = f.conditional === true ? 'loco' : f.conditional;
  try {
    await rankRun(
      dir,
      { ...options, conditional, ...(threads !== undefined ? { threads } : {}), ...(group ? { share: processGroupShare(group) } : {}) },
      { log: (l) => console.log(l), progress: new StageProgress(process.stderr) },
    );
    // The others wait for rank 0's rank.json, so a launcher sees every rank end once the file is there.
    group?.barrier();
  } finally {
    group?.close();
  }
}

export function registerRank(program: Command): void {
  const cmd = program
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
      "LOCO's null: forests refitted with every map and other seeds per fit (default 19); with exact p-values, label permutations of the whole LOCO, each giving one null draw per map (default: enough for 700 draws, 44 for 16 maps)",
      atLeast('--conditional-null', 5),
    )
    .option(
      '--marginal-null <n>',
      "label permutations of the marginal verdict's null: the evaluation re-run on shuffled labels (0: the uncalibrated t-test; default 19, or enough for exact p-values)",
      whole('--marginal-null'),
    )
    .option(
      '--exact-null <when>',
      "p-values as ranks among the null draws, with enough draws for FDR (699 for 16 maps), instead of a t approximation: 'auto' (when the smallest class has under 50 evaluated cases, where the t approximation was measured to be liberal), 'on' or 'off'",
      exactNullFlag,
      D.exactNull,
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
    .option('--threads <n>', 'forest worker threads (default: the core count; a rank of --nproc: its share of them)', atLeast('--threads'));
  addDistributedOptions(cmd, 'they split the refits of the nulls, LOCO and stability; every rank needs the run folder and the data')
    .addHelpText('after', '\nDistributed: every rank computes the single-process result; rank 0 writes rank.json and prints.')
    .action(action);
}

function conditionalMethod(v: string): 'loco' | 'cpi' {
  if (v !== 'loco' && v !== 'cpi') throw new Error(`--conditional must be loco or cpi, got '${v}'`);
  return v;
}

function exactNullFlag(v: string): boolean | 'auto' {
  if (v === 'auto') return 'auto';
  if (v === 'on' || v === 'off') return v === 'on';
  throw new Error(`--exact-null must be auto, on or off, got '${v}'`);
}

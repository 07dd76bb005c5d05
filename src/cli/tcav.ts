// `latentlens tcav <run> --concept <spec> ...`: flags of tcavRun (src/runs/tcav-run.ts), which writes tcav.json.
import type { Command } from 'commander';
import { tcavRun, TCAV_DEFAULTS as D, type TcavRunOptions } from '../runs/tcav-run.js';
import { levelFlag, positiveIntFlag as atLeast, wholeNumberFlag as whole } from './flags.js';

type TcavFlags = Omit<TcavRunOptions, 'concepts'> & { concept: string[] };

export function registerTcav(program: Command): void {
  program
    .command('tcav')
    .description(
      "Testing with concept activation vectors: is a concept's direction in latent space significant for a class? Writes tcav.json.",
    )
    .argument('<run>', 'run folder (from latentlens train)')
    .requiredOption(
      '--concept <spec...>',
      'concept specs: factor:lesion_present=1, factor:lesion_radius>0.09, ids:file.csv, folder:dir, label:1, label:>=3, label:3,4, column:age>=60 (an extra CSV column), indices:0-9, random:50; #name to name one',
    )
    .option(
      '--target <expr>',
      "the head's classes: label (as is), label>=2, 'label in 3,4', one-vs-rest:3, ordinal, or a column (src/data/target.ts)",
    )
    .option('--class <k>', "class (of the target) whose logit is differentiated (default: the target's positive class)", whole('--class'))
    .option(
      '--head <kind|file.pt>',
      'label head: mlp or logistic probe trained on the latents, or a TorchScript classifier over latents',
      D.head,
    )
    .option('--head-classes <n>', 'number of classes of a TorchScript head (default: from the labels)', atLeast('--head-classes', 2))
    .option('--runs <n>', 'CAVs per concept, each against its own random set', atLeast('--runs'), D.runs)
    .option('--set-size <n>', 'most cases per concept or random set in one CAV', atLeast('--set-size', 2), D.setSize)
    .option('--alpha <p>', 'family-wise significance level (Bonferroni over concepts)', levelFlag('--alpha'), D.alpha)
    .option(
      '--random-concepts <n>',
      'random concepts per concept size, the null of the test (default ceil(20 x concepts / alpha) - 1)',
      atLeast('--random-concepts'),
    )
    .option('--seed <n>', 'seed', whole('--seed'), D.seed)
    .option('--data <spec>', "data spec (default: the run's)")
    .option('--split <name>', 'cases: all, train, val or test', 'all')
    .option('--keep-random-concept', "draw a concept's random sets from all cases (Kim et al.), not only from cases outside it")
    .option('--out <file>', 'output JSON (default <run>/tcav.json)')
    .action(async (dir: string, { concept, ...f }: TcavFlags) => {
      await tcavRun(dir, { ...f, concepts: concept }, { log: (l) => console.log(l) });
    });
}

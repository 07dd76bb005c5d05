// `latentlens report <run>`: writes <run>/report.html, one self-contained page of everything the run
// folder holds, and prints its path.
import type { Command } from 'commander';
import { writeReport } from '../report/index.js';
import { wholeNumberFlag } from './flags.js';

interface ReportFlags {
  images: boolean;
  samples: number;
  reconstructions: number;
}

export function registerReport(program: Command): void {
  program
    .command('report <run>')
    .description(
      'write <run>/report.html: a self-contained HTML report (data, training, ranking, map cards, TCAV, embeddings, metrics, methods) viewable offline',
    )
    .option('--no-images', 'skip sample cases, reconstructions and exemplars (they load the data and the model)')
    .option('--samples <n>', 'sample cases shown per class', wholeNumberFlag('--samples'), 6)
    .option('--reconstructions <n>', 'held-out cases reconstructed', wholeNumberFlag('--reconstructions'), 8)
    .action(async (dir: string, f: ReportFlags) => {
      const t0 = performance.now();
      const out = await writeReport(dir, { images: f.images, samplesPerClass: f.samples, reconstructions: f.reconstructions });
      console.error(`report written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      console.log(out);
    });
}

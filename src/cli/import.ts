// `latentlens import <file> --data <spec> --out <run>`: a run folder for a model trained elsewhere (a
// TorchScript autoencoder, or a .safetensors state dict of a latentlens architecture), without training;
// calls importModel (library) and prints the health check's line.
import type { Command } from 'commander';
import { loadCases } from '../data/spec.js';
import { MODEL_KINDS } from '../models/registry.js';
import type { ModelKind } from '../models/types.js';
import { HEALTH_FILE, healthLine } from '../train/health.js';
import { importModel } from '../train/import.js';
import { wholeNumberFlag as int } from './flags.js';
import { parseModelOpts } from './train.js';

interface ImportFlags {
  data: string;
  out: string;
  model?: string;
  modelOpt: string[];
  seed: number;
}

const collect = (v: string, prev: string[]) => [...prev, v];

export function registerImport(program: Command): void {
  program
    .command('import <file>')
    .description(
      'make a run folder for your own model without training: a TorchScript autoencoder (.pt, copied in) or a .safetensors state dict of a latentlens model',
    )
    .requiredOption('--data <spec>', "the run's data: the model's reconstruction is checked on it (health.json) and analyses use it")
    .requiredOption('--out <run>', 'run folder to create')
    .option(
      '--model <kind>',
      `a state dict's architecture: ${MODEL_KINDS.filter((k) => k !== 'torchscript').join('|')} (a TorchScript file needs none)`,
    )
    .option('--model-opt <key=value>', "the architecture's options, as for train (e.g. latentMaps=8); repeatable", collect, [])
    .option('--seed <n>', 'seed of the random validation split of the health check, when the data has no splits', int('--seed'), 0)
    .addHelpText(
      'after',
      '\nA TorchScript file needs encode and decode methods; for Grad-CAM also encoder_activation and\n' +
        'encode_from_activation (README "Analysing your own model"). The file is copied into the run as model.pt\n' +
        'and its SHA-256 recorded in config.json; a state dict must match the model tensor by tensor (name and shape).',
    )
    .action(async (file: string, f: ImportFlags) => {
      const kind = f.model as ModelKind | undefined;
      if (kind !== undefined && !MODEL_KINDS.includes(kind))
        throw new Error(`import: --model ${f.model}: expected one of ${MODEL_KINDS.join(', ')}`);
      const modelOptions = parseModelOpts(f.modelOpt);
      const data = await loadCases(f.data); // images or volumes
      const r = importModel({
        file,
        data,
        dataSpec: f.data,
        out: f.out,
        seed: f.seed,
        ...(kind ? { model: kind } : {}),
        modelOptions,
        ...(f.modelOpt.length ? { extraConfig: { modelOptions } } : {}),
      });
      const m = r.config.model;
      console.log(`imported ${m.kind} (${r.format}, ${m.latentMaps} maps of ${m.latentGrid.join('x')}) from ${file} -> ${r.out}`);
      console.log(healthLine(r.health));
      for (const reason of r.health.reasons) console.log(`  - ${reason}`);
      if (!r.health.passed) console.log(`  (recorded in ${HEALTH_FILE}; every analysis of this run repeats the warning)`);
    });
}

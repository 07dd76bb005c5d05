// `latentlens data inspect <spec>`: shape, channels, labels and class balance, intensity statistics,
// and a contact-sheet PNG of samples per class and channel (RGB data: with a colour composite row per class).
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { contactSheet, formatSummary, summarizeDataset } from '../data/index.js';
import { middleSlices, summarizeVolumes, VOLUME_AXES } from '../data/inspect-volumes.js';
import { loadCases } from '../data/spec.js';
import { isVolumeDataset } from '../data/types.js';
import { positiveIntFlag } from './flags.js';

function writeAtomic(path: string, data: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

export function registerDataCommands(program: Command): void {
  const data = program.command('data').description('Inspect data sources (MedMNIST, image folders, DICOM, NIfTI, phantoms).');
  data
    .command('inspect')
    .description('Load a data spec and print shape, channels, class balance and intensity statistics; optionally write a contact sheet.')
    .argument('<spec>', 'data spec, e.g. medmnist:pneumoniamnist, folder:./imgs?csv=labels.csv&size=64, phantom:n=200')
    .option(
      '--sheet <file.png>',
      'write a contact sheet PNG of samples per class and channel (RGB data: a colour composite row first in each class; volumes: one sheet of middle slices per axis, <file>-depth.png, -height.png, -width.png)',
    )
    .option('--per-class <n>', 'samples per class in the contact sheet', positiveIntFlag('--per-class'), 8)
    .option('--json', 'print the summary as JSON')
    .action(async (spec: string, opts: { sheet?: string; perClass: number; json?: boolean }) => {
      const t0 = performance.now();
      const ds = await loadCases(spec);
      const summary = isVolumeDataset(ds) ? summarizeVolumes(ds) : summarizeDataset(ds);
      if (opts.json) console.log(JSON.stringify(summary, null, 2));
      else {
        console.log(formatSummary(summary));
        console.log(`loaded in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
      }
      if (opts.sheet && isVolumeDataset(ds)) {
        // Volumes: the middle slice of each case across each axis, one sheet per axis.
        for (const axis of VOLUME_AXES) {
          const file = opts.sheet.replace(/(\.png)?$/i, `-${axis}.png`);
          writeAtomic(file, await contactSheet(middleSlices(ds, axis), { perClass: opts.perClass }));
          if (!opts.json) console.log(`contact sheet (middle slices across ${axis}): ${file}`);
        }
      } else if (opts.sheet && !isVolumeDataset(ds)) {
        writeAtomic(opts.sheet, await contactSheet(ds, { perClass: opts.perClass }));
        if (!opts.json) console.log(`contact sheet: ${opts.sheet}`);
      }
    });
}

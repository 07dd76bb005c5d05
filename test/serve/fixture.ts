// A small real run folder for the explorer's tests: a ConvAE trained 30 steps on 32 x 32 two-channel
// phantoms, ranked with a small forest and embedded with PCA, as the CLI would leave it.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDataset } from '../../src/data/spec.js';
import { manualSeed, setNumThreads } from '../../src/engine/index.js';
import { embedRun } from '../../src/runs/embed-run.js';
import { rankRun } from '../../src/runs/rank-run.js';
import { createModel } from '../../src/models/registry.js';
import { trainModel } from '../../src/train/trainer.js';

export const SPEC = 'phantom:n=160,size=32,channels=T1,FLAIR,lesion=FLAIR,distractor=T1,seed=3';

/** Builds the run folder in a fresh temp dir and returns its path (and the temp dir to remove). */
export async function makeRunFolder(name = 'tiny-run'): Promise<{ dir: string; tmp: string }> {
  // node --test runs files in parallel processes: one libtorch thread each avoids oversubscription.
  setNumThreads(1);
  const tmp = mkdtempSync(join(tmpdir(), 'serve-test-'));
  const dir = join(tmp, name);
  const data = await loadDataset(SPEC);
  manualSeed(0);
  const model = createModel('conv-ae', { inputShape: [2, 32, 32], latentMaps: 4, latentGrid: [4, 4], width: 8 } as never);
  await trainModel(model, data, { steps: 30, batchSize: 32, lr: 0.003, out: dir, progress: false, extraConfig: { dataSpec: SPEC } });
  model.dispose();
  await rankRun(dir, { trees: 20, bootstraps: 0, repeats: 3 });
  await embedRun(dir, { embed: { method: 'pca' }, color: 'label' });
  mkdirSync(join(dir, 'figures'), { recursive: true });
  writeFileSync(join(tmp, 'outside.png'), 'secret outside the run folder');
  return { dir, tmp };
}

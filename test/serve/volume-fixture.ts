// A small real volume run for the explorer's tests: the 3D ConvAE trained 12 steps on 16^3 two-channel
// volume phantoms (a lesion in FLAIR), ranked with a small forest, map 0 explained (its slice figures
// written) and embedded with PCA, as the CLI would leave it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCases } from '../../src/data/spec.js';
import { manualSeed, setNumThreads } from '../../src/engine/index.js';
import { embedRun } from '../../src/runs/embed-run.js';
import { explainRun } from '../../src/runs/explain-run.js';
import { rankRun } from '../../src/runs/rank-run.js';
import { createModel } from '../../src/models/registry.js';
import { trainModel } from '../../src/train/trainer.js';

export const VOLUME_SPEC = 'phantom3d:n=24&size=16&seed=5';

/** Builds the volume run folder in a fresh temp dir and returns its path (and the temp dir to remove). */
export async function makeVolumeRunFolder(name = 'tiny-volumes'): Promise<{ dir: string; tmp: string }> {
  setNumThreads(1);
  const tmp = mkdtempSync(join(tmpdir(), 'serve-volume-test-'));
  const dir = join(tmp, name);
  const data = await loadCases(VOLUME_SPEC);
  manualSeed(0);
  const model = createModel('conv-ae', { inputShape: [2, 16, 16, 16], latentMaps: 3, width: 4 } as never);
  await trainModel(model, data, { steps: 12, batchSize: 8, lr: 0.003, out: dir, progress: false, extraConfig: { dataSpec: VOLUME_SPEC } });
  model.dispose();
  const quiet = { log: () => {} };
  await rankRun(dir, { trees: 10, bootstraps: 0, marginalNull: 0, folds: 2, conditional: false }, quiet);
  await explainRun(dir, { map: 0, cases: 2 }, quiet);
  await embedRun(dir, { embed: { method: 'pca' }, color: 'label' }, quiet);
  return { dir, tmp };
}

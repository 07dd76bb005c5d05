// Resuming a run from its folder alone: the data spec and model config come from config.json.
import { loadCases } from '../data/spec.js';
import { modelFromConfig } from '../models/registry.js';
import type { ModelConfig } from '../models/types.js';
import { readRunConfig } from './run-folder.js';
import type { TrainResult } from './state.js';
import { trainModel, type TrainEvent } from './trainer.js';
import type { TrainOptions } from './options.js';

/**
 * Continues the run in `dir` from its latest checkpoint with the settings in its config.json. The
 * dataset is reloaded from the `dataSpec` the CLI recorded; runs started from code, whose data has no
 * spec, resume with `trainModel(model, data, { ...options, out: dir, resume: true })`.
 */
export async function resumeRun(
  dir: string,
  o: Pick<TrainOptions, 'signal' | 'progress' | 'distributed'> = {},
  onEvent?: (e: TrainEvent) => void,
): Promise<TrainResult> {
  const config = readRunConfig(dir);
  if (config.imported || !config.train)
    throw new Error(
      `${dir} holds an imported model (${config.imported?.format ?? 'no training settings'}): it was not trained, so there is nothing to resume`,
    );
  const spec = config.dataSpec;
  if (typeof spec !== 'string')
    throw new Error(`${dir}/config.json has no dataSpec; resume it from code with trainModel(model, data, { out, resume: true })`);
  const data = await loadCases(spec); // images or volumes, as the run was trained on
  const model = modelFromConfig(config.model as ModelConfig & { kind: ModelConfig['kind'] });
  const t = config.train;
  const options: TrainOptions = { ...t, steps: t.steps ?? undefined, out: dir, resume: true, ...o };
  try {
    return await trainModel(model, data, options, onEvent);
  } finally {
    model.dispose();
  }
}

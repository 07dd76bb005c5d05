// One rank of test/train/data-parallel.test.ts: trains the named model on the shared data under
// torchrun's variables and prints its final state as one JSON line, or the error it ended with.
// argv: kind, run folder ('{rank}' in it becomes the rank), steps, 'resume' or 'fresh'; DIE_AT_STEP makes
// rank 1 exit after that step.
import { processGroupFromEnv } from '../../src/engine/distributed.js';
import { setNumThreads } from '../../src/engine/runtime.js';
import { DataParallel } from '../../src/train/distributed/data-parallel.js';
import { trainModel } from '../../src/train/trainer.js';
import { ddpData, ddpModel, ddpOptions, flatState, type DdpKind } from './data-parallel-setup.js';

setNumThreads(1);
const [kind, out, steps, mode] = process.argv.slice(2) as [DdpKind, string, string, string];
const dieAt = Number(process.env.DIE_AT_STEP ?? 0);
const pg = processGroupFromEnv({ timeoutMs: 20_000 })!;
// Each rank draws different initial weights: training must start from rank 0's (the broadcast).
const model = ddpModel(kind, 100 + pg.rank);
// A small bucket, so the gradients travel in several collectives.
const dp = new DataParallel(pg, { bucketMb: 0.002 });
try {
  await trainModel(
    model,
    ddpData(),
    { ...ddpOptions(Number(steps)), out: out.replace('{rank}', String(pg.rank)), resume: mode === 'resume', distributed: dp },
    (e) => {
      if (e.type === 'step' && e.step === dieAt && pg.rank === 1) process.exit(3);
    },
  );
  console.log(JSON.stringify({ rank: pg.rank, state: flatState(model) }));
} catch (err) {
  console.log(JSON.stringify({ rank: pg.rank, error: (err as Error).message }));
}
pg.close();

// One rank of test/engine/distributed.test.ts: joins the group from torchrun's variables, runs the
// scenario named by argv[2] and prints one JSON line (or, for the failure scenarios, the error).
import { hasDistributed, processGroupFromEnv, scope, tensor, type ProcessGroup, type Tensor } from '../../src/engine/index.js';

const scenario = process.argv[2];
const timeoutMs = Number(process.argv[3] ?? 10_000);
// Times start once libtorch is loaded (seconds on a busy machine), at the rendezvous.
hasDistributed();
const t0 = Date.now();

function main(): void {
  const pg = processGroupFromEnv({ timeoutMs });
  if (!pg) throw new Error('no WORLD_SIZE');
  const r = pg.rank;
  const W = pg.worldSize;
  scope(() => {
    const nums = (t: Tensor) => t.toNumbers();
    if (scenario === 'collectives') {
      const sum = tensor([r + 1, 10 * (r + 1), -r]);
      pg.allreduce(sum);
      const max = tensor([r, -r], [2], { dtype: 'float64' });
      pg.allreduce(max, 'max');
      const ints = tensor(new BigInt64Array([BigInt(r + 1), 2n]), [2]);
      pg.allreduce(ints, 'product');
      const fromLast = tensor([r, r * 100]);
      pg.broadcast(fromLast, W - 1);
      const gathered = pg.allgather(tensor([r, r * r], [1, 2]));
      pg.barrier();
      console.log(
        JSON.stringify({
          rank: r,
          worldSize: W,
          sum: nums(sum),
          max: nums(max),
          product: nums(ints),
          broadcast: nums(fromLast),
          gathered: gathered.map(nums),
          gatheredShape: gathered[0]!.shape,
        }),
      );
      pg.barrier();
    } else if (scenario === 'die') {
      // Rank 1 exits after the first collective; the others' next one must fail, naming it.
      pg.barrier();
      if (r === 1) process.exit(3);
      reportAllreduce(pg, r);
    } else if (scenario === 'hang') {
      // Rank 1 stays alive but never joins the collective: the others time out.
      pg.barrier();
      if (r === 1) {
        // Until just past the others' timeout and report window (3 s), so they see it silent.
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, timeoutMs + 3500);
        process.exit(0);
      }
      reportAllreduce(pg, r);
      process.exit(0);
    }
  });
}

try {
  main();
} catch (e) {
  // Rendezvous failures (no store, a rank that never joined) land here.
  console.log(JSON.stringify({ error: (e as Error).message, ms: Date.now() - t0 }));
}

// One allreduce after a peer went away: prints the error it ended with (or none) and how long it took.
function reportAllreduce(pg: ProcessGroup, r: number): void {
  const t = Date.now();
  try {
    pg.allreduce(tensor([1]));
    console.log(JSON.stringify({ rank: r, error: null }));
  } catch (e) {
    console.log(JSON.stringify({ rank: r, error: (e as Error).message, ms: Date.now() - t }));
  }
}

// One rank of test/explain/distributed-rank.test.ts: the ranking of problem argv[2] with its refits split
// over the ranks, and the largest `total` each refit stage reported (the forests this rank fitted), as JSON.
import { processGroupFromEnv } from '../../src/engine/distributed.js';
import { processGroupShare } from '../../src/explain/importance/process-group-share.js';
import { rankProblem, verdicts, type RankProblem } from './distributed-rank-data.js';

const pg = processGroupFromEnv({ timeoutMs: 30_000 })!;
const totals: Record<string, number> = {};
const r = await rankProblem(process.argv[2] as RankProblem, processGroupShare(pg), (p) => {
  totals[p.stage] = Math.max(totals[p.stage] ?? 0, p.total);
});
console.log(JSON.stringify({ rank: pg.rank, totals, result: verdicts(r) }));
pg.close();

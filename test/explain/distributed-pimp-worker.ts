// One rank of test/explain/distributed-pimp.test.ts: its share of the PIMP null and of the bootstrap
// stability, gathered, as JSON.
import { processGroupFromEnv } from '../../src/engine/distributed.js';
import { processGroupShare } from '../../src/explain/importance/process-group-share.js';
import { pimpProblem, stabilityProblem } from './distributed-pimp-data.js';

const pg = processGroupFromEnv({ timeoutMs: 20_000 })!;
let fitted = 0;
const nul = await pimpProblem(processGroupShare(pg), (done) => (fitted = done));
const stab = await stabilityProblem(processGroupShare(pg));
console.log(
  JSON.stringify({ rank: pg.rank, fitted, null: Array.from(nul.null), meanRank: Array.from(stab.meanRank), top1: Array.from(stab.top1) }),
);
pg.close();

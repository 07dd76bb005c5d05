// Worker-thread entry: grows trees on request. Data arrives in shared memory (no copies); results go
// back as transferred buffers.
import { parentPort } from 'node:worker_threads';
import { buildTree, type TreeBuildResult, type TreeData, type TreeParams } from './tree.js';

export interface TreeJob {
  data: TreeData;
  params: TreeParams;
  seeds: number[];
}

export interface TreeJobResult {
  results: TreeBuildResult[];
}

/** Buffers of a build result, for transfer. */
export function transferList(results: TreeBuildResult[]): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const r of results) {
    const t = r.tree;
    for (const a of [t.feature, t.bin, t.left, t.right, t.value, t.nodeSamples, r.mdi, r.oobPerm]) {
      if (a !== null && a.buffer instanceof ArrayBuffer) out.push(a.buffer);
    }
  }
  return out;
}

if (parentPort !== null) {
  const port = parentPort;
  port.on('message', (msg: { id: number; job: TreeJob }) => {
    try {
      const results = msg.job.seeds.map((s) => buildTree(msg.job.data, msg.job.params, s));
      port.postMessage({ id: msg.id, ok: true, value: { results } }, transferList(results));
    } catch (e) {
      port.postMessage({ id: msg.id, ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    }
  });
}

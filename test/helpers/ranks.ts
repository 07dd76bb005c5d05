// Runs N local ranks as child processes on 127.0.0.1 (a fresh free port each time) and collects what
// each printed: the harness of the distributed tests.
import { spawn } from 'node:child_process';
import { freePort } from '../../src/cli/launch-ranks.js';

export interface RankResult {
  rank: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Milliseconds from the start of all ranks to this one's exit. */
  ms: number;
}

/**
 * Starts `script` (a compiled .js file) once per rank in `ranks` with torchrun's variables set
 * (WORLD_SIZE = worldSize, so ranks left out of `ranks` never join), and resolves when all have exited.
 */
export async function runRanks(
  script: string,
  args: string[],
  o: { worldSize: number; ranks?: number[]; port?: number; env?: Record<string, string>; killAfterMs?: number },
): Promise<RankResult[]> {
  const port = o.port ?? (await freePort());
  const ranks = o.ranks ?? Array.from({ length: o.worldSize }, (_, r) => r);
  const t0 = Date.now();
  return Promise.all(
    ranks.map(
      (rank) =>
        new Promise<RankResult>((resolve) => {
          const child = spawn(process.execPath, [script, ...args], {
            env: {
              ...process.env,
              LATENTLENS_THREADS: '1',
              RANK: String(rank),
              LOCAL_RANK: String(rank),
              WORLD_SIZE: String(o.worldSize),
              MASTER_ADDR: '127.0.0.1',
              MASTER_PORT: String(port),
              ...o.env,
            },
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          let stdout = '';
          let stderr = '';
          child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
          child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
          // A safety net so a broken test ends instead of hanging the suite.
          const timer = setTimeout(() => child.kill('SIGKILL'), o.killAfterMs ?? 60_000);
          // 'close', not 'exit': only then has the child's stdout been read to its end.
          child.on('close', (code, signal) => {
            clearTimeout(timer);
            resolve({ rank, code, signal, stdout, stderr, ms: Date.now() - t0 });
          });
        }),
    ),
  );
}

/** The last line of a rank's stdout, parsed as JSON. */
export function lastJson<T>(r: RankResult): T {
  const lines = r.stdout.trim().split('\n');
  try {
    return JSON.parse(lines[lines.length - 1]!) as T;
  } catch {
    throw new Error(`rank ${r.rank} printed no JSON (exit ${r.code}${r.signal ? `, ${r.signal}` : ''}):\n${r.stdout}\n${r.stderr}`);
  }
}

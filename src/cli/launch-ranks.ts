// `--nproc N`: this command started again as N local ranks, with the variables torchrun gives its workers
// (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT), so a rank cannot tell the two launchers apart.
// Rank 0's output passes through as it is; the other ranks' stderr lines carry a "[rank r]" prefix and
// their stdout is dropped (rank 0 prints the summary). When a rank fails, the others end on their own at
// their next collective (its connection closed); any still running a grace period later are killed.
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { createServer } from 'node:net';

/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface LaunchOptions {
  nproc: number;
  /** MASTER_PORT; default a free port. */
  port?: number;
  /** How long the others may take to end after one rank failed, in ms, before they are killed. */
  graceMs: number;
}

/** Runs this process's command line as `nproc` ranks; resolves with the exit status for the launcher. */
export async function launchRanks(o: LaunchOptions): Promise<number> {
  const port = o.port ?? (await freePort());
  // One libtorch thread pool per rank: the cores shared out unless the user chose (LATENTLENS_THREADS).
  const threads = process.env.LATENTLENS_THREADS || String(Math.max(1, Math.floor(availableParallelism() / o.nproc)));
  const children: ChildProcess[] = [];
  let failed: { rank: number; code: number | null; signal: NodeJS.Signals | null } | null = null;
  let killTimer: NodeJS.Timeout | null = null;
  // Ctrl-C reaches every rank from the terminal; each writes its part of the checkpoint decision itself.
  const onSigint = () => {};
  process.on('SIGINT', onSigint);
  try {
    const exits = Array.from({ length: o.nproc }, (_, rank) => {
      const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
        env: {
          ...process.env,
          RANK: String(rank),
          LOCAL_RANK: String(rank),
          WORLD_SIZE: String(o.nproc),
          LOCAL_WORLD_SIZE: String(o.nproc),
          MASTER_ADDR: '127.0.0.1',
          MASTER_PORT: String(port),
          LATENTLENS_THREADS: threads,
        },
        stdio: rank === 0 ? 'inherit' : ['ignore', 'ignore', 'pipe'],
      });
      children.push(child);
      if (rank > 0) prefixLines(child, rank);
      return new Promise<void>((resolve) => {
        child.on('exit', (code, signal) => {
          if ((code !== 0 || signal) && !failed) {
            failed = { rank, code, signal };
            killTimer = setTimeout(() => {
              for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
            }, o.graceMs);
          }
        });
        // Resolved on 'close', after the last lines of a rank's piped stderr have been printed.
        child.on('close', () => resolve());
      });
    });
    await Promise.all(exits);
  } finally {
    process.off('SIGINT', onSigint);
    if (killTimer) clearTimeout(killTimer);
  }
  const f = failed as { rank: number; code: number | null; signal: NodeJS.Signals | null } | null;
  if (!f) return 0;
  process.stderr.write(
    `latentlens: rank ${f.rank} of ${o.nproc} ${f.signal ? `was killed by ${f.signal}` : `exited with status ${f.code}`}\n`,
  );
  return f.code === 130 ? 130 : 1;
}

function prefixLines(child: ChildProcess, rank: number): void {
  let pending = '';
  child.stderr!.on('data', (d: Buffer) => {
    const lines = (pending + d.toString()).split('\n');
    pending = lines.pop()!;
    for (const l of lines) process.stderr.write(`[rank ${rank}] ${l}\n`);
  });
  child.stderr!.on('end', () => {
    if (pending) process.stderr.write(`[rank ${rank}] ${pending}\n`);
  });
}

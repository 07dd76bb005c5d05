// What `train` and `rank` share to run data-parallel: --nproc, --master-port and --dist-timeout, and
// the start: without torchrun's variables and with --nproc N this process becomes the launcher of N
// ranks (launch-ranks.ts), each of which runs the command again and joins the group the variables name.
import type { Command } from 'commander';
import { distributedEnv, ProcessGroup } from '../engine/distributed.js';
import { launchRanks } from './launch-ranks.js';
import { numberFlag as num, wholeNumberFlag as int } from './flags.js';

export interface DistributedFlags {
  nproc: number;
  masterPort?: number;
  distTimeout: number;
}

/** Adds the three flags; `nprocHelp` says what the ranks share out in this command. */
export function addDistributedOptions(cmd: Command, nprocHelp: string): Command {
  return cmd
    .option(
      '--nproc <n>',
      `data-parallel ranks on this machine (${nprocHelp}); under torchrun or another launcher setting RANK/WORLD_SIZE/MASTER_ADDR/MASTER_PORT, leave it out`,
      int('--nproc'),
      1,
    )
    .option('--master-port <port>', '--nproc: port of the rendezvous store on 127.0.0.1 (default: a free one)', int('--master-port'))
    .option(
      '--dist-timeout <s>',
      'distributed: longest wait of the rendezvous and of each collective, in seconds',
      num('--dist-timeout'),
      300,
    );
}

/**
 * `launched`: this process was the launcher and its ranks have ended with that exit status; otherwise the
 * group this rank joined, or null for a single process.
 */
export type DistributedStart = { launched: number } | { launched: null; group: ProcessGroup | null };

// Synchronous unless it launches ranks: a command that goes on to train must install its Ctrl-C handler
// before yielding to the event loop, or a SIGINT arriving meanwhile finds no handler.
export function startDistributed(command: string, f: DistributedFlags): DistributedStart | Promise<DistributedStart> {
  const env = distributedEnv();
  if (!env && f.nproc > 1)
    return launchRanks({ nproc: f.nproc, port: f.masterPort, graceMs: f.distTimeout * 1000 + 10_000 }).then((launched) => ({ launched }));
  if (env && f.nproc > 1 && f.nproc !== env.worldSize)
    throw new Error(`${command}: --nproc ${f.nproc} but the launcher set WORLD_SIZE=${env.worldSize}; leave --nproc out under torchrun`);
  const group = env
    ? new ProcessGroup({ rank: env.rank, worldSize: env.worldSize, host: env.host, port: env.port, timeoutMs: f.distTimeout * 1000 })
    : null;
  return { launched: null, group };
}

// torch.distributed's c10d from TypeScript: a process group (TCPStore rendezvous, Gloo collectives on CPU
// tensors) and the environment torchrun and SLURM-style launchers set. Collectives are synchronous: they
// return once every rank took part, or throw an error naming this rank, the collective and the peer
// ranks that did not take part, once the timeout has passed or a peer's connection closed.
import { native, type NativeProcessGroup } from './native.js';
import { Tensor } from './tensor.js';

/** A reduction of allreduce. */
export type ReduceOp = 'sum' | 'max' | 'min' | 'product';

export interface ProcessGroupOptions {
  /** This process's rank, 0..worldSize-1. */
  rank: number;
  /** Number of ranks. */
  worldSize: number;
  /** Address of the rendezvous store (torchrun's MASTER_ADDR). Default 127.0.0.1. */
  host?: string;
  /** Port of the rendezvous store (MASTER_PORT). */
  port: number;
  /**
   * Whether this rank hosts the store. Default: rank 0, unless torchrun's agent already hosts it
   * (TORCHELASTIC_USE_AGENT_STORE=True), when every rank is a client.
   */
  isServer?: boolean;
  /** Longest wait of the rendezvous and of each collective, in milliseconds. Default 300000 (5 minutes). */
  timeoutMs?: number;
  /** Network interface for Gloo (PyTorch's GLOO_SOCKET_IFNAME). Default: loopback for a loopback store, else the host name's address. */
  iface?: string;
  /** Key prefix in the store, so several groups (or torchrun's own keys) never collide. Default 'latentlens'. */
  prefix?: string;
}

export const DEFAULT_TIMEOUT_MS = 300_000;

/** Whether the addon was built with Gloo (libgloo-dev's headers); without it, processGroup() throws. */
export const hasDistributed = (): boolean => native.hasGloo;

/** One rank's membership of a c10d process group. Tensors must be CPU, dense and contiguous. */
export class ProcessGroup {
  private readonly pg: NativeProcessGroup;

  constructor(o: ProcessGroupOptions) {
    const agentStore = process.env.TORCHELASTIC_USE_AGENT_STORE === 'True';
    this.pg = new native.ProcessGroup({
      rank: o.rank,
      worldSize: o.worldSize,
      host: o.host ?? '127.0.0.1',
      port: o.port,
      isServer: o.isServer ?? (o.rank === 0 && !agentStore),
      timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      prefix: o.prefix ?? 'latentlens',
      iface: o.iface ?? process.env.GLOO_SOCKET_IFNAME ?? '',
    });
  }

  get rank(): number {
    return this.pg.rank;
  }
  get worldSize(): number {
    return this.pg.worldSize;
  }

  /** Reduces each tensor in place across ranks (all tensors of one call share dtype and shape). */
  allreduce(tensors: Tensor | Tensor[], op: ReduceOp = 'sum'): void {
    this.pg.allreduce(
      (Array.isArray(tensors) ? tensors : [tensors]).map((t) => t.id),
      op,
    );
  }

  /** Overwrites each tensor in place with rank `root`'s. */
  broadcast(tensors: Tensor | Tensor[], root = 0): void {
    this.pg.broadcast(
      (Array.isArray(tensors) ? tensors : [tensors]).map((t) => t.id),
      root,
    );
  }

  /** Every rank's copy of `t` (same shape on every rank), in rank order; new tensors in the current scope. */
  allgather(t: Tensor): Tensor[] {
    return this.pg.allgather(t.id).map((h) => new Tensor(h));
  }

  /** Returns once every rank called it. */
  barrier(): void {
    this.pg.barrier();
  }

  /** Leaves the group; rank 0's store stops with it, so call barrier() first when others still need it. */
  close(): void {
    this.pg.close();
  }
}

/** Where a rank is, as torchrun (and `latentlens train --nproc`) tell it through the environment. */
export interface DistributedEnv {
  rank: number;
  worldSize: number;
  localRank: number;
  host: string;
  port: number;
}

function envInt(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`distributed: ${name}=${v} is not a non-negative integer`);
  return n;
}

/**
 * torchrun's variables (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT), or null when WORLD_SIZE is
 * unset (a single process). Under SLURM without torchrun, set them from SLURM_PROCID/SLURM_NTASKS (README).
 */
export function distributedEnv(env: NodeJS.ProcessEnv = process.env): DistributedEnv | null {
  const worldSize = envInt(env, 'WORLD_SIZE');
  if (worldSize === undefined) return null;
  const rank = envInt(env, 'RANK');
  const port = envInt(env, 'MASTER_PORT');
  if (rank === undefined) throw new Error('distributed: WORLD_SIZE is set but RANK is not');
  if (port === undefined) throw new Error('distributed: WORLD_SIZE is set but MASTER_PORT is not');
  if (worldSize < 1 || rank >= worldSize) throw new RangeError(`distributed: RANK=${rank} is outside WORLD_SIZE=${worldSize}`);
  return { rank, worldSize, localRank: envInt(env, 'LOCAL_RANK') ?? rank, host: env.MASTER_ADDR || '127.0.0.1', port };
}

/** Joins the group the environment describes (see distributedEnv), or returns null outside one. */
export function processGroupFromEnv(o: { timeoutMs?: number } = {}, env: NodeJS.ProcessEnv = process.env): ProcessGroup | null {
  const d = distributedEnv(env);
  if (!d) return null;
  return new ProcessGroup({ rank: d.rank, worldSize: d.worldSize, host: d.host, port: d.port, ...o });
}

// Data-parallel training with PyTorch DDP's semantics over a c10d process group: parameters and buffers
// broadcast from rank 0 at the start, buffers again before every step (broadcast_buffers=True), and each
// gradient multiplied by 1/W and SUM-allreduced in buckets, as DDP's reducer does. A bucket is a flat copy
// of consecutive gradients, so the bucket size changes how many collectives run, not the values: each
// element is reduced on its own (exactly the same bits for W = 2, where a + b = b + a; for W > 2 Gloo's
// ring adds an element's W terms in an order set by the chunk it falls in, so bucket sizes can move the
// last bit).
//
// Decisions every rank must make alike (a non-finite loss, Ctrl-C, early stopping) also go through the
// group, so no rank waits in a collective that another rank skipped.
import { noGrad } from '../../engine/autograd.js';
import { zeros } from '../../engine/create.js';
import type { ProcessGroup } from '../../engine/distributed.js';
import { cat } from '../../engine/functional.js';
import { scope } from '../../engine/scope.js';
import { tensor, type Tensor } from '../../engine/tensor.js';
import type { LatentModel } from '../../models/types.js';

/** Default bucket size, as DDP's bucket_cap_mb. */
export const DEFAULT_BUCKET_MB = 25;

export class DataParallel {
  readonly rank: number;
  readonly worldSize: number;
  private readonly bucketBytes: number;

  constructor(
    readonly group: ProcessGroup,
    o: { bucketMb?: number } = {},
  ) {
    this.rank = group.rank;
    this.worldSize = group.worldSize;
    const mb = o.bucketMb ?? DEFAULT_BUCKET_MB;
    if (!(mb > 0)) throw new RangeError(`data parallel: bucketMb must be positive, got ${mb}`);
    this.bucketBytes = mb * 1024 * 1024;
  }

  /** Whether this rank writes the run folder (checkpoints, logs, final weights): rank 0. */
  get writer(): boolean {
    return this.rank === 0;
  }

  /** Rank 0's parameters and buffers, in place on every rank (state dict order: the same on every rank). */
  broadcastState(model: LatentModel): void {
    this.broadcastTensors([...model.stateDict().values()]);
  }

  /** Rank 0's buffers (BatchNorm running statistics), as DDP does before each forward. */
  broadcastBuffers(model: LatentModel, params: Set<Tensor>): void {
    const buffers = [...model.stateDict().values()].filter((t) => !params.has(t) && !isParamView(t, params));
    if (buffers.length > 0) this.broadcastTensors(buffers);
  }

  private broadcastTensors(ts: Tensor[]): void {
    noGrad(() =>
      scope(() => {
        for (const t of ts) {
          // Gloo needs contiguous memory; a strided view is sent through a copy.
          if (isContiguous(t)) this.group.broadcast(t, 0);
          else {
            const c = t.contiguous();
            this.group.broadcast(c, 0);
            t.copy_(c);
          }
        }
      }),
    );
  }

  /**
   * Replaces each parameter's gradient by the mean over ranks: multiplied by 1/W, then SUM-allreduced in
   * buckets of at most bucketMb (a parameter larger than a bucket gets one of its own). A parameter
   * without a gradient on every rank keeps none, so the optimizer skips it as a single process would
   * (DDP leaves globally unused parameters alone too); one with a gradient on some ranks only counts
   * zeros for the others, so every rank steps the same parameters.
   */
  averageGradients(params: Tensor[]): void {
    if (params.length === 0) return;
    noGrad(() => {
      const has = scope(() => {
        const t = tensor(
          Float32Array.from(params, (p) => (p.grad ? 1 : 0)),
          [params.length],
        );
        this.group.allreduce(t, 'sum');
        return t.toNumbers();
      });
      const used = params.filter((_, i) => has[i]! > 0);
      for (const bucket of this.buckets(used)) {
        scope(() => {
          const flat = cat(bucket.map((p) => p.grad?.contiguous().reshape(-1) ?? zeros([p.numel], { dtype: p.dtype })));
          flat.mul_(1 / this.worldSize);
          this.group.allreduce(flat, 'sum');
          let offset = 0;
          for (const p of bucket) {
            const n = p.numel;
            p.grad = flat.narrow(0, offset, n).view(...p.shape);
            offset += n;
          }
        });
      }
    });
  }

  /** Buckets in reverse parameter order (DDP's: the last layers' gradients are ready first), one dtype each. */
  private buckets(params: Tensor[]): Tensor[][] {
    const out: Tensor[][] = [];
    let cur: Tensor[] = [];
    let bytes = 0;
    for (const p of [...params].reverse()) {
      const b = p.numel * 4;
      if (cur.length > 0 && (bytes + b > this.bucketBytes || cur[0]!.dtype !== p.dtype)) {
        out.push(cur);
        cur = [];
        bytes = 0;
      }
      cur.push(p);
      bytes += b;
    }
    if (cur.length > 0) out.push(cur);
    return out;
  }

  /** The sum over ranks of each value (float64), e.g. loss terms; NaN or Inf on any rank reaches all. */
  sum(values: number[]): number[] {
    if (values.length === 0) return [];
    return scope(() => {
      const t = tensor(Float64Array.from(values), [values.length], { dtype: 'float64' });
      this.group.allreduce(t, 'sum');
      return t.toNumbers();
    });
  }

  /** Whether `flag` holds on any rank. */
  any(flag: boolean): boolean {
    return this.sum([flag ? 1 : 0])[0]! > 0;
  }

  /** Rank 0's value on every rank. */
  fromRank0(value: number): number {
    return scope(() => {
      const t = tensor(Float64Array.of(value), [1], { dtype: 'float64' });
      this.group.broadcast(t, 0);
      return t.toNumbers()[0]!;
    });
  }
}

function isContiguous(t: Tensor): boolean {
  return scope(() => t.contiguous().sharesStorageWith(t));
}

function isParamView(t: Tensor, params: Set<Tensor>): boolean {
  for (const p of params) if (p.sharesStorageWith(t)) return true;
  return false;
}

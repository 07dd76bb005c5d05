// The order in which data-parallel ranks see the training split, as PyTorch's DistributedSampler gives
// it (torch/utils/data/distributed.py, drop_last=False): each epoch a permutation of the split from
// torch.randperm with a CPU generator seeded by seed + epoch, padded to a multiple of the world size by
// repeating its head, and rank r takes positions r, r + W, r + 2W, ...
//
// "Equal" means the same index lists as DistributedSampler(Subset(dataset, split), num_replicas=W, rank=r,
// shuffle=True, seed=seed) after set_epoch(epoch), for the same libtorch (randperm's algorithm is
// libtorch's: Debian's 1.13 here, python3-torch 1.13 alike; other torch versions may permute differently).
// latentlens's own seeded generator (core/random.ts, xoshiro128**) is not used for this order: it cannot
// reproduce torch's mt19937 stream, so the permutation is drawn by libtorch through an explicit generator
// (engine/generator.ts), which leaves the global generator that training reseeds per step untouched.
import { generator } from '../../engine/generator.js';
import { randperm } from '../../engine/create.js';
import { scope } from '../../engine/scope.js';

export interface DistributedSamplerOptions {
  /** Number of ranks W. */
  worldSize: number;
  /** This rank, 0..W-1. */
  rank: number;
  /** The run's seed (an integer); epoch e draws with seed + e, as DistributedSampler does. */
  seed: number;
  epoch: number;
  /** Shuffle (randperm) or keep the split's order. Default true. */
  shuffle?: boolean;
}

/** The epoch's whole padded order (length ceil(n / W) * W): positions 0..n-1 into the split. */
export function paddedOrder(n: number, o: Omit<DistributedSamplerOptions, 'rank'>): Int32Array {
  if (!(Number.isInteger(o.worldSize) && o.worldSize >= 1))
    throw new RangeError(`sampler: worldSize must be a positive integer, got ${o.worldSize}`);
  if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`sampler: the split must hold at least one case, got ${n}`);
  const seed = o.seed + o.epoch;
  if (!(Number.isInteger(seed) && seed >= 0)) throw new RangeError(`sampler: seed + epoch must be a non-negative integer, got ${seed}`);
  const perm =
    o.shuffle === false
      ? Int32Array.from({ length: n }, (_, i) => i)
      : scope(() => Int32Array.from(randperm(n, { generator: generator(seed) }).toNumbers()));
  const total = Math.ceil(n / o.worldSize) * o.worldSize;
  const out = new Int32Array(total);
  // Padding repeats the head, wrapping round as often as needed when it is longer than n.
  for (let i = 0; i < total; i++) out[i] = perm[i % n]!;
  return out;
}

/** Rank `rank`'s positions of the epoch, in order (length ceil(n / W)). */
export function distributedSamplerIndices(n: number, o: DistributedSamplerOptions): Int32Array {
  if (!(Number.isInteger(o.rank) && o.rank >= 0 && o.rank < o.worldSize))
    throw new RangeError(`sampler: rank ${o.rank} is outside world size ${o.worldSize}`);
  const order = paddedOrder(n, o);
  const per = order.length / o.worldSize;
  return Int32Array.from({ length: per }, (_, j) => order[o.rank + j * o.worldSize]!);
}

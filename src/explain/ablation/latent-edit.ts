// Editing latents for decoder-side experiments: filling maps with zeros, the dataset mean or another
// case's values; shifting one map's level.
import { F, generator, noGrad, randperm, tensor, type Tensor } from '../../engine/index.js';
import { streamSeed } from '../../core/random.js';
import type { LatentModel } from '../../models/types.js';

export type FillKind = 'zero' | 'mean' | 'other-case';

/** Latents of x in batches, no gradients: N x K x h x w. */
export function encodeAll(model: LatentModel, x: Tensor, batchSize = 128): Tensor {
  model.eval();
  return noGrad(() => {
    const parts: Tensor[] = [];
    for (let s = 0; s < x.shape[0]!; s += batchSize) parts.push(model.encode(x.narrow(0, s, Math.min(batchSize, x.shape[0]! - s))).z);
    return parts.length === 1 ? parts[0]! : F.cat(parts, 0);
  });
}

/**
 * z with every map not in `keep` replaced by the fill. `mean`: K x h x w dataset mean latent.
 * 'other-case' takes each case's fill from another case, the donors a permutation from stream
 * (seed, 'other-case'): the same seed gives the same donors, so decodings that differ only in `keep`
 * differ only by the maps kept, and no global random state is read or advanced.
 */
export function fillMaps(z: Tensor, keep: number[], fill: FillKind, mean?: Tensor, seed = 0): Tensor {
  const [n, k] = z.shape as [number, number];
  const keepMask = tensor(
    Array.from({ length: k }, (_, m) => (keep.includes(m) ? 1 : 0)),
    [1, k, 1, 1],
  );
  let filler: Tensor;
  if (fill === 'zero') filler = z.mul(0);
  else if (fill === 'mean') {
    if (!mean) throw new Error("fill 'mean' needs the dataset mean latent");
    filler = mean.unsqueeze(0).expand(...z.shape);
  } else filler = z.indexSelect(0, randperm(n, { generator: generator(streamSeed(seed, 'other-case')) }).to(z.device));
  return z.mul(keepMask).add(filler.mul(keepMask.neg().add(1)));
}

/** z with map k replaced by the same map of `mean` (its dataset mean). */
export function ablateMap(z: Tensor, k: number, mean: Tensor): Tensor {
  const others = Array.from({ length: z.shape[1]! }, (_, m) => m).filter((m) => m !== k);
  return fillMaps(z, others, 'mean', mean);
}

/** z with map k shifted so that its mean over positions equals `level` for every case. */
export function setMapLevel(z: Tensor, k: number, level: number): Tensor {
  const kk = z.shape[1]!;
  const onehot = tensor(
    Array.from({ length: kk }, (_, m) => (m === k ? 1 : 0)),
    [1, kk, 1, 1],
  );
  const current = z.select(1, k).mean([1, 2]).reshape(z.shape[0]!, 1, 1, 1);
  return z.add(onehot.mul(current.neg().add(level)));
}

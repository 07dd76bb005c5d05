// Refits split over data-parallel ranks: the refits of a null or a bootstrap are independent and each is
// seeded by its own index, so rank r can fit those with index r, r + W, r + 2W, ... and the ranks then
// exchange their results. Every rank ends with the single-process result, bit for bit. Over c10d:
// process-group-share.ts.
/** This rank's place among the ranks and the exchange of equal-length results (in rank order). */
export interface RefitShare {
  rank: number;
  worldSize: number;
  allgather(values: Float64Array): Float64Array[];
}

/** The refit indices of 0..total-1 that this rank fits. */
export function mineOf(total: number, share: RefitShare | undefined): number[] {
  const W = share?.worldSize ?? 1;
  const r = share?.rank ?? 0;
  const out: number[] = [];
  for (let i = r; i < total; i += W) out.push(i);
  return out;
}

/**
 * Every rank's rows of `width` values per refit, gathered: `own` holds this rank's refits (mineOf order)
 * and the result holds all `total` in index order.
 */
export function gatherRefits(own: Float64Array, total: number, width: number, share: RefitShare | undefined): Float64Array {
  if (!share || share.worldSize === 1) return own;
  const W = share.worldSize;
  const per = Math.ceil(total / W);
  // allgather needs the same length everywhere: the ranks with one refit fewer pad theirs.
  const padded = new Float64Array(per * width);
  padded.set(own);
  const parts = share.allgather(padded);
  const out = new Float64Array(total * width);
  for (let i = 0; i < total; i++) out.set(parts[i % W]!.subarray(Math.floor(i / W) * width, (Math.floor(i / W) + 1) * width), i * width);
  return out;
}

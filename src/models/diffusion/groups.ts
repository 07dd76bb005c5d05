// GroupNorm's group count for the diffusion U-Net and its attention blocks (one place, so both agree).

/** Groups of a GroupNorm over c channels: the largest of 8..1 that divides c. */
export function normGroups(c: number): number {
  for (let g = Math.min(8, c); g > 1; g--) if (c % g === 0) return g;
  return 1;
}

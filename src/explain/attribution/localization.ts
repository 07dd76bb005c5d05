// Does a heatmap point at the right place? Pointing game (Zhang et al. 2016): a hit when the heatmap's
// maximum falls inside the ground-truth mask, grown by a tolerance; and IoU between the mask and the
// heatmap's top pixels (as many as the mask has).

export interface LocalizationResult {
  /** Fraction of cases whose heatmap maximum lies in the (dilated) mask. */
  pointingGame: number;
  /** Mean IoU between the mask and the same number of top-attributed pixels. */
  iou: number;
  cases: number;
}

function dilate(mask: Uint8Array, h: number, w: number, r: number): Uint8Array {
  if (r <= 0) return mask;
  const out = new Uint8Array(mask.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      if (!mask[y * w + x]) continue;
      for (let dy = -r; dy <= r; dy++)
        for (let dx = -r; dx <= r; dx++) {
          const yy = y + dy,
            xx = x + dx;
          if (yy >= 0 && yy < h && xx >= 0 && xx < w) out[yy * w + xx] = 1;
        }
    }
  return out;
}

/**
 * heat: per case an H x W map (e.g. one channel's attribution, or the sum over channels; signed values
 * are used as they are, so pass the positive direction); masks: per case H x W (nonzero = inside).
 * Cases whose mask is empty are skipped.
 */
export function localization(heat: Float32Array, masks: Uint8Array, n: number, h: number, w: number, tolerance = 1): LocalizationResult {
  let hits = 0,
    iouSum = 0,
    counted = 0;
  const hw = h * w;
  for (let i = 0; i < n; i++) {
    const m = masks.subarray(i * hw, (i + 1) * hw);
    const area = m.reduce((a, v) => a + (v ? 1 : 0), 0);
    if (area === 0) continue;
    counted++;
    const hm = heat.subarray(i * hw, (i + 1) * hw);
    let best = 0;
    for (let p = 1; p < hw; p++) if (hm[p]! > hm[best]!) best = p;
    if (dilate(m, h, w, tolerance)[best]) hits++;
    const order = Array.from({ length: hw }, (_, p) => p).sort((a, b) => hm[b]! - hm[a]!);
    let inter = 0;
    for (let j = 0; j < area; j++) if (m[order[j]!]) inter++;
    iouSum += inter / (2 * area - inter);
  }
  return { pointingGame: counted ? hits / counted : NaN, iou: counted ? iouSum / counted : NaN, cases: counted };
}

// Resizing of float planes (area averaging when shrinking, bilinear when enlarging) and of label
// planes (nearest neighbour), plus centre cropping. Used by the DICOM and NIfTI readers.

// Sparse weights: output index o takes sum_k w[k] * input[idx[k]] over its span.
interface AxisWeights {
  start: Int32Array;
  count: Int32Array;
  idx: Int32Array;
  w: Float32Array;
}

function axisWeights(n: number, m: number): AxisWeights {
  const start = new Int32Array(m);
  const count = new Int32Array(m);
  const idx: number[] = [];
  const w: number[] = [];
  const ratio = n / m;
  for (let o = 0; o < m; o++) {
    start[o] = idx.length;
    if (ratio > 1) {
      // Area: output pixel covers input interval [o*ratio, (o+1)*ratio).
      const a = o * ratio;
      const b = (o + 1) * ratio;
      for (let i = Math.floor(a); i < Math.ceil(b) && i < n; i++) {
        const cover = Math.min(b, i + 1) - Math.max(a, i);
        if (cover > 1e-9) {
          idx.push(i);
          w.push(cover / ratio);
        }
      }
    } else {
      // Bilinear with pixel centres aligned (align_corners = false), edges clamped.
      let x = (o + 0.5) * ratio - 0.5;
      x = Math.max(0, Math.min(n - 1, x));
      const i0 = Math.floor(x);
      const i1 = Math.min(n - 1, i0 + 1);
      const f = x - i0;
      idx.push(i0);
      w.push(1 - f);
      if (i1 !== i0 && f > 0) {
        idx.push(i1);
        w.push(f);
      }
    }
    count[o] = idx.length - start[o]!;
  }
  return { start, count, idx: Int32Array.from(idx), w: Float32Array.from(w) };
}

/** Resizes one H x W float plane to outH x outW (area average when shrinking, bilinear when enlarging). */
export function resizePlane(
  src: ArrayLike<number>,
  h: number,
  w: number,
  outH: number,
  outW: number,
  dst = new Float32Array(outH * outW),
): Float32Array {
  if (h === outH && w === outW) {
    for (let i = 0; i < h * w; i++) dst[i] = src[i]!;
    return dst;
  }
  const ax = axisWeights(w, outW);
  const ay = axisWeights(h, outH);
  const tmp = new Float32Array(h * outW);
  for (let y = 0; y < h; y++) {
    for (let o = 0; o < outW; o++) {
      let s = 0;
      for (let k = ax.start[o]!, e = k + ax.count[o]!; k < e; k++) s += ax.w[k]! * src[y * w + ax.idx[k]!]!;
      tmp[y * outW + o] = s;
    }
  }
  for (let o = 0; o < outH; o++) {
    for (let x = 0; x < outW; x++) {
      let s = 0;
      for (let k = ay.start[o]!, e = k + ay.count[o]!; k < e; k++) s += ay.w[k]! * tmp[ay.idx[k]! * outW + x]!;
      dst[o * outW + x] = s;
    }
  }
  return dst;
}

/** Resizes a label plane by nearest neighbour (values are kept, never blended). */
export function resizeLabels(
  src: ArrayLike<number>,
  h: number,
  w: number,
  outH: number,
  outW: number,
  dst = new Uint8Array(outH * outW),
): Uint8Array {
  for (let y = 0; y < outH; y++) {
    const sy = Math.min(h - 1, Math.floor(((y + 0.5) * h) / outH));
    for (let x = 0; x < outW; x++) {
      const sx = Math.min(w - 1, Math.floor(((x + 0.5) * w) / outW));
      dst[y * outW + x] = src[sy * w + sx]!;
    }
  }
  return dst;
}

/** The square centre crop of an h x w plane: offsets and side. */
export function centerSquare(h: number, w: number): { top: number; left: number; side: number } {
  const side = Math.min(h, w);
  return { top: Math.floor((h - side) / 2), left: Math.floor((w - side) / 2), side };
}

/** Copies the rectangle [top, top+outH) x [left, left+outW) of an h x w plane. */
export function cropPlane<T extends Float32Array | Uint8Array>(
  src: T,
  w: number,
  top: number,
  left: number,
  outH: number,
  outW: number,
): T {
  const dst = new (src.constructor as new (n: number) => T)(outH * outW);
  for (let y = 0; y < outH; y++) dst.set(src.subarray((top + y) * w + left, (top + y) * w + left + outW), y * outW);
  return dst;
}

/** Centre-crops a plane to a square and resizes it to size x size. */
export function squarePlane(src: Float32Array, h: number, w: number, size: number): Float32Array {
  const { top, left, side } = centerSquare(h, w);
  const sq = side === h && side === w ? src : cropPlane(src, w, top, left, side, side);
  return resizePlane(sq, side, side, size, size);
}

/** Centre-crops a label plane to a square and resizes it (nearest) to size x size. */
export function squareLabels(src: Uint8Array, h: number, w: number, size: number): Uint8Array {
  const { top, left, side } = centerSquare(h, w);
  const sq = side === h && side === w ? src : cropPlane(src, w, top, left, side, side);
  return resizeLabels(sq, side, side, size, size);
}

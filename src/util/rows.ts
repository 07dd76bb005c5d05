// Selecting cases from row-major arrays (pixels, masks, labels, factors) by index.

type RowArray = Float32Array | Int32Array | Uint8Array;

/** Rows `indices` of a row-major N x width array, in that order, as a new array of the same type. */
export function takeRows<T extends RowArray>(values: T, width: number, indices: ArrayLike<number>): T {
  const out = new (values.constructor as new (n: number) => T)(indices.length * width);
  for (let j = 0; j < indices.length; j++) {
    const i = indices[j]!;
    out.set(values.subarray(i * width, (i + 1) * width), j * width);
  }
  return out;
}

// The numeric table every layer shares: rows x cols values, row-major.

export interface Matrix<D extends ArrayLike<number> = ArrayLike<number>> {
  data: D;
  rows: number;
  cols: number;
}

/**
 * A matrix whose columns have names and fall into groups: the columns pooled from one latent map form
 * one group, so importance can be judged per map while the forest and the metrics read columns.
 */
export interface Table extends Matrix<Float32Array> {
  /** Name of each column (`map3`, `map3@2,1`, ...). */
  names?: string[];
  /** Group of each column: an index into `groupNames`. */
  groupOf: ArrayLike<number>;
  groupNames: string[];
}

/** Population variance of each column. */
export function columnVariance(x: Matrix): Float64Array {
  const d = x.cols;
  const mean = new Float64Array(d);
  const v = new Float64Array(d);
  for (let i = 0; i < x.rows; i++) for (let j = 0; j < d; j++) mean[j] += x.data[i * d + j]!;
  for (let j = 0; j < d; j++) mean[j] /= Math.max(1, x.rows);
  for (let i = 0; i < x.rows; i++) for (let j = 0; j < d; j++) v[j] += (x.data[i * d + j]! - mean[j]!) ** 2;
  for (let j = 0; j < d; j++) v[j] /= Math.max(1, x.rows);
  return v;
}

// The numeric table every layer shares: rows x cols values, row-major.

export interface Matrix {
  data: ArrayLike<number>;
  rows: number;
  cols: number;
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

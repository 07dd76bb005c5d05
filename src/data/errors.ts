// Errors raised for bad input: they name the file (and row, tag or entry) and what was expected.

/** An input file or value that the data layer cannot use. */
export class DataError extends Error {
  /** The file (or data spec) at fault. */
  readonly file: string;
  /** Where in the file, e.g. `row 12`, `tag x00280010`, `train_images.npy`; empty when the whole file. */
  readonly where: string;

  constructor(file: string, problem: string, where = '') {
    super(`${file}${where ? ` (${where})` : ''}: ${problem}`);
    this.name = 'DataError';
    this.file = file;
    this.where = where;
  }
}

/** Throws a DataError naming the first non-finite pixel, if any. `what` names the file or source. */
export function assertFinite(values: ArrayLike<number>, shape: readonly number[], what: string, where = ''): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) {
      const idx: number[] = [];
      let rest = i;
      for (let d = shape.length - 1; d >= 0; d--) {
        idx.unshift(rest % shape[d]!);
        rest = Math.floor(rest / shape[d]!);
      }
      throw new DataError(what, `pixel [${idx.join(', ')}] is ${v}; expected finite values (NaN and Inf are not allowed)`, where);
    }
  }
}

/**
 * Reports input that is read but may not mean what the user thinks (e.g. classes without cases), as a
 * Node process warning of type `DataWarning` (printed on stderr), worded like a DataError.
 */
export function dataWarning(file: string, problem: string, where = ''): void {
  process.emitWarning(`${file}${where ? ` (${where})` : ''}: ${problem}`, { type: 'DataWarning', code: 'LATENTLENS_DATA' });
}

// Parsers of numeric command-line flags: every command rejects a malformed number with the flag and
// the value it got, instead of running on NaN. Given to commander as an option's parser, they fail at
// argument parsing, before any data or weights are loaded.

/** Commander parser: any finite number. */
export const numberFlag =
  (flag: string) =>
  (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) throw new Error(`${flag} ${v}: expected a number`);
    return n;
  };

/** Commander parser: an integer >= 0. */
export const wholeNumberFlag =
  (flag: string) =>
  (v: string): number => {
    const n = numberFlag(flag)(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} ${v}: expected a whole number >= 0`);
    return n;
  };

/** Commander parser: an integer >= `min` (default 1). */
export const positiveIntFlag =
  (flag: string, min = 1) =>
  (v: string): number => {
    const n = numberFlag(flag)(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`${flag} ${v}: expected a whole number >= ${min}`);
    return n;
  };

/** Commander parser: a number > 0 (`orZero`: >= 0). */
export const positiveNumberFlag =
  (flag: string, orZero = false) =>
  (v: string): number => {
    const n = numberFlag(flag)(v);
    if (orZero ? n < 0 : n <= 0) throw new Error(`${flag} ${v}: expected a number ${orZero ? '>= 0' : '> 0'}`);
    return n;
  };

/** Commander parser: a level strictly between 0 and 1 (an FDR or significance level). */
export const levelFlag =
  (flag: string) =>
  (v: string): number => {
    const n = numberFlag(flag)(v);
    if (!(n > 0 && n < 1)) throw new Error(`${flag} ${v}: expected a number between 0 and 1`);
    return n;
  };

/** Commander parser: a comma-separated list of distinct whole numbers >= 0 (e.g. case indices `3,17,40`). */
export const indexListFlag =
  (flag: string) =>
  (v: string): number[] => {
    const parts = v.split(',').map((s) => s.trim());
    if (!parts.length || parts.some((s) => s === '')) throw new Error(`${flag} ${v}: expected comma-separated whole numbers, e.g. 0,5,12`);
    const out = parts.map((s) => wholeNumberFlag(flag)(s));
    if (new Set(out).size !== out.length) throw new Error(`${flag} ${v}: an index is repeated`);
    return out;
  };

/** An integer >= 1. */
export function positiveInt(flag: string, v: string): number {
  return positiveIntFlag(flag)(v);
}

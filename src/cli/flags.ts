// Parsers of numeric command-line flags: every command rejects a malformed number with the flag and
// the value it got, instead of running on NaN.

/** Commander parser: any finite number. */
export const numberFlag = (flag: string) => (v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new Error(`${flag} ${v}: expected a number`);
  return n;
};

/** Commander parser: an integer >= 0. */
export const wholeNumberFlag = (flag: string) => (v: string): number => {
  const n = numberFlag(flag)(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} ${v}: expected a whole number >= 0`);
  return n;
};

/** An integer >= 1. */
export function positiveInt(flag: string, v: string): number {
  const n = Number(v);
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`${flag} ${v}: expected a positive integer`);
  return n;
}

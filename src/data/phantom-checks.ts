// Option checks of the 2D and the volume phantoms. `where` names the generator ('phantom',
// 'phantom3d') in the DataError, so each keeps its own messages; the callers keep the order of their
// checks, which decides which error a spec with several mistakes gets.
import { DataError } from './errors.js';

/** Throws unless `r` is [min, max] with lo <= min <= max <= hi. */
export function checkRange(where: string, name: string, r: [number, number], lo: number, hi: number): void {
  if (!(r.length === 2 && r[0] <= r[1] && r[0] >= lo && r[1] <= hi)) {
    throw new DataError(where, `${name} must be [min, max] within [${lo}, ${hi}], got [${r.join(', ')}]`);
  }
}

/** Throws unless `p` is a probability. */
export function checkRate(where: string, name: string, p: number): void {
  if (!(p >= 0 && p <= 1)) throw new DataError(where, `${name} must be in [0, 1], got ${p}`);
}

/**
 * Throws unless n is a positive integer, size an integer in 8..maxSize, the channel names distinct and
 * non-empty, and every channel an object is shown in (`shown`: [object, its channels]) one of them.
 */
export function checkLayout(
  where: string,
  n: number,
  size: number,
  maxSize: number,
  channels: string[],
  shown: [string, string[]][],
): void {
  if (!(Number.isInteger(n) && n >= 1)) throw new DataError(where, `n must be a positive integer, got ${n}`);
  if (!(Number.isInteger(size) && size >= 8 && size <= maxSize))
    throw new DataError(where, `size must be an integer in 8..${maxSize}, got ${size}`);
  if (channels.length === 0 || new Set(channels).size !== channels.length || channels.some((c) => c.trim() === '')) {
    throw new DataError(where, `channels must be distinct non-empty names, got [${channels.join(', ')}]`);
  }
  for (const [what, list] of shown) {
    for (const ch of list) {
      if (!channels.includes(ch)) throw new DataError(where, `${what} channel "${ch}" is not one of the channels [${channels.join(', ')}]`);
    }
  }
}

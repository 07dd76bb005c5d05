// latentlens's one seeded random source: xoshiro128** seeded through splitmix32, and per-purpose
// streams derived from (seed, purpose, index) up front, so a result never depends on the order or the
// thread in which work runs, nor on batch sizes. One seed gives the same stream on every machine.
//
// This is the algorithm the forest and the importance layer always used (its seeding, its int() and its
// one-value normal()), kept bit for bit so that rank's and calibration's numbers did not move when
// data/random.ts's second xoshiro (other seeding, rejection int(), paired normals) was folded in here.
// Tensor-valued randomness of libtorch's ops goes through engine/generator.ts, seeded from streamSeed.

/** One step of splitmix32: a good 32-bit mixer, used to expand one seed into many. */
export function splitmix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * The `index`-th child seed of `seed` under `salt`. Every tree, label permutation and bootstrap gets its
 * seed from this up front.
 */
export function deriveSeed(seed: number, index: number, salt = 0): number {
  return splitmix32(splitmix32(splitmix32(seed >>> 0) ^ Math.imul(index + 1, 0x27d4eb2d)) ^ salt);
}

/** FNV-1a hash of a purpose name to 32 bits: the salt of its streams. */
export function purposeSalt(purpose: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < purpose.length; i++) h = Math.imul(h ^ purpose.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * The seed of stream (seed, purpose, index): e.g. ('smoothgrad', case i) or ('tcav/concept', i).
 * Different purposes or indices give unrelated streams; the same triple always gives the same one.
 */
export function streamSeed(seed: number, purpose: string, index = 0): number {
  return deriveSeed(seed, index, purposeSalt(purpose));
}

/** The generator of stream (seed, purpose, index). */
export function randomStream(seed: number, purpose: string, index = 0): Random {
  return new Random(streamSeed(seed, purpose, index));
}

/**
 * Seeded pseudo-random numbers: xoshiro128** (period 2^128 - 1), state filled by splitmix32. Not
 * cryptographic. Name sub-tasks with randomStream / streamSeed rather than with arithmetic on seeds or
 * string seeds built by hand.
 */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** @param seed a finite number (taken as seed >>> 0) or a string (hashed, FNV-1a); equal seeds, equal streams. */
  constructor(seed: number | string = 0) {
    if (typeof seed === 'number' && !Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
    let s = typeof seed === 'string' ? purposeSalt(seed) : seed >>> 0;
    this.a = s = splitmix32(s);
    this.b = s = splitmix32(s);
    this.c = s = splitmix32(s);
    this.d = splitmix32(s);
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** Uniform unsigned 32-bit integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9);
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result >>> 0;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [lo, hi). */
  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [0, n) for n <= 2^32 (multiply-shift: bias below n / 2^32, negligible here). */
  int(n: number): number {
    if (!(n >= 1) || !Number.isInteger(n)) throw new RangeError(`int(n) needs a positive integer n, got ${n}`);
    return Math.floor(this.next() * n);
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    return this.next() < p;
  }

  /** Normal deviate (Box–Muller, one value per call: a stream's k-th value does not depend on pairing). */
  normal(mean = 0, sd = 1): number {
    let u = 0;
    while (u === 0) u = this.next();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
    return mean === 0 && sd === 1 ? z : mean + sd * z;
  }

  /** Shuffles `a` in place (Fisher–Yates) and returns it. */
  shuffle<T extends { length: number; [i: number]: any }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }

  /** A new generator seeded from this one's next value: an independent stream for a sub-task. */
  fork(): Random {
    return new Random(splitmix32(this.nextUint32() ^ 0x6a09e667));
  }

  /** The four state words, e.g. for native code that continues this stream (see restoreState). */
  saveState(into: Uint32Array = new Uint32Array(4)): Uint32Array {
    into[0] = this.a;
    into[1] = this.b;
    into[2] = this.c;
    into[3] = this.d;
    return into;
  }

  /** Continues from state words that saveState returned (and native code may have advanced). */
  restoreState(from: Uint32Array): void {
    this.a = from[0] | 0;
    this.b = from[1] | 0;
    this.c = from[2] | 0;
    this.d = from[3] | 0;
  }

  /** This generator as a plain `() => number` in [0, 1), for APIs that take a random function. */
  asFunction(): () => number {
    return () => this.next();
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

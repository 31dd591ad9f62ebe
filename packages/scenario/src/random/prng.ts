/**
 * The generator's only source of randomness: mulberry32, a 32-bit PRNG that is tiny, fast and — what
 * matters here — bit-for-bit identical on every JavaScript engine, because it uses only 32-bit integer
 * operations (Math.imul, shifts). Math.random is never used: the same seed must give the same history.
 *
 * Not cryptographic; it only has to look varied and be reproducible.
 */
export class Prng {
  private state: number;

  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
    this.state = seed >>> 0;
  }

  /** The next value, uniform over 0..2^32-1. */
  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /**
   * Uniform integer in 0..bound-1 by multiply-shift. Exact in doubles because bound ≤ 2^21 keeps the
   * product below 2^53; the bias (< bound / 2^32) is irrelevant for test data.
   */
  int(bound: number): number {
    if (!Number.isInteger(bound) || bound < 1 || bound > MAX_BOUND) {
      throw new RangeError(`bound must be an integer 1..${MAX_BOUND}, got ${bound}`);
    }
    return Math.floor((this.nextUint32() * bound) / 2 ** 32);
  }

  /** Uniform integer in min..max inclusive. */
  between(min: number, max: number): number {
    if (max < min) throw new RangeError(`empty range ${min}..${max}`);
    return min + this.int(max - min + 1);
  }

  /** True with probability perMillion / 1,000,000 (probabilities are integers so no float enters a decision). */
  chance(perMillion: number): boolean {
    return this.int(1_000_000) < perMillion;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("cannot pick from an empty list");
    return items[this.int(items.length)] as T;
  }

  /** Picks by integer weights. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, weight] of items) total += weight;
    let ticket = this.int(total);
    for (const [item, weight] of items) {
      if (ticket < weight) return item;
      ticket -= weight;
    }
    throw new RangeError("weights must be positive integers");
  }
}

const MAX_BOUND = 2 ** 21;

/** FNV-1a over a label: turns names such as "deals" into 32-bit constants without any table. */
function fnv1a(label: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < label.length; index += 1) {
    hash ^= label.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * An independent stream per concern (org, deals, injection, ...). Keeping them apart means that turning an
 * option up or down (say, invalidRate) leaves every other part of the history byte-identical.
 */
export function substream(seed: number, label: string): Prng {
  let mixed = (seed ^ fnv1a(label)) >>> 0;
  // One round of a murmur3 finalizer so that nearby seeds do not give correlated streams.
  mixed = Math.imul(mixed ^ (mixed >>> 16), 0x85ebca6b);
  mixed = Math.imul(mixed ^ (mixed >>> 13), 0xc2b2ae35);
  return new Prng((mixed ^ (mixed >>> 16)) >>> 0);
}

/** A probability option (0..1) as an integer per-million threshold, validated. */
export function perMillion(name: string, probability: number): number {
  if (!Number.isFinite(probability) || probability < 0 || probability > 1) {
    throw new RangeError(`${name} must be a probability from 0 to 1, got ${probability}`);
  }
  return Math.round(probability * 1_000_000);
}

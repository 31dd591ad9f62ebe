/**
 * Equal immutable values kept once, by a key that names their content: facts hold hundreds of thousands of
 * copies of a few values (split shares, one-rep split lists, months, quota period ids and lists). Bounded:
 * cleared when full, which only costs sharing, never correctness, since a value is a pure function of its
 * key.
 */
export class SharedValues<V> {
  private readonly byKey = new Map<string, V>();

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be ≥ 1, got ${limit}`);
  }

  /** The value kept for the key, or `make()` kept from now on. */
  get(key: string, make: (key: string) => V): V {
    const known = this.byKey.get(key);
    if (known !== undefined) return known;
    const value = make(key);
    if (this.byKey.size >= this.limit) this.byKey.clear();
    this.byKey.set(key, value);
    return value;
  }

  /** A string kept once (the key is the value). */
  static same(key: string): string {
    return key;
  }
}

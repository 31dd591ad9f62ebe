/**
 * What the envelope's `data` and the hand-written parse accept as an object, as z.record did: not null,
 * not an array, an Object or null prototype.
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

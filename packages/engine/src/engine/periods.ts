import type { Period } from "../calendar/index.js";

export function overlaps(a: Period, b: Period): boolean {
  return a.start <= b.end && b.start <= a.end;
}

export function within(inner: Period, outer: Period): boolean {
  return outer.start <= inner.start && inner.end <= outer.end;
}

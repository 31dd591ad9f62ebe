import type { Clock } from "../port/types.js";

/** The wall clock, for recordedAt only (metadata; no business rule reads it). Tests inject fixedClock. */
export const systemClock: Clock = () => new Date().toISOString();

/** A clock that always says the same instant: recordedAt becomes deterministic in tests. */
export function fixedClock(instant: string): Clock {
  if (Number.isNaN(Date.parse(instant))) throw new RangeError(`not an ISO instant: ${instant}`);
  return () => instant;
}

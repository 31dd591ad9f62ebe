/** Where one recorded event sits in the log and when the store recorded it. */
export interface LogIndexEntry {
  readonly position: number;
  /** The store's clock string (ISO 8601). Used only to answer "as of time" queries, never in a calculation. */
  readonly recordedAt: string;
}

/** "As of" either a log position or a point in time (mapped to the last event recorded at or before it). */
export interface AsOf {
  readonly position?: number;
  readonly time?: string;
}

/** Milliseconds since the epoch of an ISO 8601 instant, or undefined when it is not one. */
export function instantMs(text: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * The last log position recorded at or before `time` (0 when nothing was). The index is in log order and
 * recordedAt never decreases along it for one store clock; a binary search would rely on that, so the scan
 * walks backwards and stops at the first hit, which is right even if a clock stepped back.
 */
export function positionAtTime(index: readonly LogIndexEntry[], time: string): number {
  const limit = instantMs(time);
  if (limit === undefined) throw new RangeError(`${JSON.stringify(time)} is not an ISO 8601 time`);
  let best = 0;
  for (const entry of index) {
    const at = instantMs(entry.recordedAt);
    if (at !== undefined && at <= limit && entry.position > best) best = entry.position;
  }
  return best;
}

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
 * looks at every entry and keeps the highest position, which is right even if a clock stepped back.
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

/**
 * When each applied log position was recorded, kept for "as of a time" queries: `positionAtTime` over
 * every event, as runs. Events that follow one another with the same recordedAt text (a store stamps a whole
 * append with one time) are one run: its time in epoch milliseconds, parsed once, and its last position. It
 * was an object and a string per event (~100 MB of heap at 1.36M events) and a parse of every one on each
 * query; now it is two numbers per append, and a query scans numbers.
 */
export class LogTimeIndex {
  private readonly runAtMs: number[] = [];
  private readonly runLastPosition: number[] = [];
  /** The recordedAt text of the last event added, and whether it parsed (and so opened a run). */
  private lastText: string | undefined;
  private lastParsed = false;
  private lastPosition = 0;

  /** The next event in log order (positions increase). */
  add(position: number, recordedAt: string): void {
    if (position <= this.lastPosition)
      throw new RangeError(`LogTimeIndex: position ${position} after ${this.lastPosition}`);
    this.lastPosition = position;
    if (recordedAt === this.lastText) {
      // Same time as the event before: its run (if it had one) now ends here.
      if (this.lastParsed) this.runLastPosition[this.runLastPosition.length - 1] = position;
      return;
    }
    this.lastText = recordedAt;
    const at = instantMs(recordedAt);
    this.lastParsed = at !== undefined;
    if (at === undefined) return; // never matches a time, as in positionAtTime
    this.runAtMs.push(at);
    this.runLastPosition.push(position);
  }

  /** Runs kept (for tests and memory estimates). */
  get runs(): number {
    return this.runAtMs.length;
  }

  /** The same answer as positionAtTime over every event added. */
  positionAt(time: string): number {
    const limit = instantMs(time);
    if (limit === undefined) throw new RangeError(`${JSON.stringify(time)} is not an ISO 8601 time`);
    let best = 0;
    for (let i = 0; i < this.runAtMs.length; i += 1) {
      const position = this.runLastPosition[i] as number;
      if ((this.runAtMs[i] as number) <= limit && position > best) best = position;
    }
    return best;
  }
}

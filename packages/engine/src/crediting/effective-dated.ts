/**
 * A per-key history of effective-dated facts, kept sorted by (effectiveDate, position) so that "the fact
 * in force on date D, as recorded through log position P" is a binary search plus, for as-of queries, a
 * short walk back past facts recorded after P. Facts for one key arrive in log order, so positions only
 * grow; the effective dates may go backwards (a backdated change), which the sorted insert handles.
 */
export interface Dated {
  readonly effectiveDate: string;
  readonly position: number;
}

export class EffectiveDatedHistory<T extends Dated> {
  private readonly entries: T[] = [];
  private lastPosition = -1;

  get size(): number {
    return this.entries.length;
  }

  get latestPosition(): number {
    return this.lastPosition;
  }

  /** Adds a fact; returns false (and changes nothing) when the same position was already added. */
  add(entry: T, describe: string): boolean {
    if (!Number.isSafeInteger(entry.position) || entry.position < 0) {
      throw new RangeError(`${describe}: position must be a non-negative integer, got ${entry.position}`);
    }
    if (entry.position === this.lastPosition) return false;
    if (entry.position < this.lastPosition) {
      throw new RangeError(
        `${describe}: facts must arrive in log order (position ${entry.position} after ${this.lastPosition})`,
      );
    }
    this.lastPosition = entry.position;
    // Insert after every entry with an earlier-or-equal date: positions grow, so this keeps the order.
    const index = this.upperBound(entry.effectiveDate);
    this.entries.splice(index, 0, entry);
    return true;
  }

  /** The fact with the latest effectiveDate <= date (then the highest position), recorded at or before throughPosition. */
  on(date: string, throughPosition?: number): T | undefined {
    for (let index = this.upperBound(date) - 1; index >= 0; index -= 1) {
      const entry = this.entries[index] as T;
      if (throughPosition === undefined || entry.position <= throughPosition) return entry;
    }
    return undefined;
  }

  /** Index of the first entry whose effectiveDate is after `date`. */
  private upperBound(date: string): number {
    let low = 0;
    let high = this.entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.entries[middle] as T).effectiveDate <= date) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

import type { DomainEvent } from "@icm/events";

/**
 * Events that enter the log later than the deal that caused them (payments, cancellations, late deals,
 * org changes), ordered by the date they are recorded and then by creation order. A binary min-heap: only
 * the follow-ups within the next few months are held, never the whole history.
 */
export interface Pending {
  readonly logDate: string;
  readonly sequence: number;
  readonly event: DomainEvent;
}

function before(a: Pending, b: Pending): boolean {
  return a.logDate === b.logDate ? a.sequence < b.sequence : a.logDate < b.logDate;
}

export class PendingQueue {
  private readonly items: Pending[] = [];
  private peakSize = 0;

  constructor(private readonly limit: number) {}

  get size(): number {
    return this.items.length;
  }

  /** Most items ever held at once: how much of the history the generator had in memory. */
  get peak(): number {
    return this.peakSize;
  }

  peek(): Pending | undefined {
    return this.items[0];
  }

  push(item: Pending): void {
    if (this.items.length >= this.limit) {
      throw new RangeError(
        `more than ${this.limit} events pending; lower the deal density or raise the limit`,
      );
    }
    const items = this.items;
    items.push(item);
    let index = items.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!before(items[index] as Pending, items[parent] as Pending)) break;
      [items[index], items[parent]] = [items[parent] as Pending, items[index] as Pending];
      index = parent;
    }
    if (items.length > this.peakSize) this.peakSize = items.length;
  }

  pop(): Pending | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    items[0] = last;
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      const right = left + 1;
      let smallest = index;
      if (left < items.length && before(items[left] as Pending, items[smallest] as Pending)) smallest = left;
      if (right < items.length && before(items[right] as Pending, items[smallest] as Pending))
        smallest = right;
      if (smallest === index) break;
      [items[index], items[smallest]] = [items[smallest] as Pending, items[index] as Pending];
      index = smallest;
    }
    return top;
  }
}

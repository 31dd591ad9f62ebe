import type { DomainEvent, EventType } from "@icm/events";
import { corrupt } from "../inject/corrupt.js";
import type { Prng } from "../random/prng.js";

export interface QuarterClose {
  readonly period: string;
  /** The business date finance closes the quarter: quarter end plus the close lag. */
  readonly closeDate: string;
  /** The quarter closes after `events[0 .. eventIndex-1]`: every event from this index on arrived later. */
  readonly eventIndex: number;
}

export interface InjectedInvalid {
  readonly eventId: string;
  /** The field the corruption broke, e.g. `data.amount`; the validator's issue path starts with it. */
  readonly field: string;
  readonly describe: string;
  readonly eventIndex: number;
}

export interface InjectedDuplicate {
  readonly eventId: string;
  readonly eventIndex: number;
}

/** How many recent events a duplicate may repeat: redeliveries happen close to the original. */
const RECENT_LIMIT = 32;

/**
 * Hands events out in log order and does the bookkeeping of the summary: counts, quarter-close points and
 * the injected invalid and duplicate events. Injection draws only from its own PRNG stream, so the valid
 * events are identical whatever the injection rates.
 */
export class Emitter {
  count = 0;
  lastLogDate = "";
  readonly countsByType = new Map<EventType, number>();
  readonly closes: QuarterClose[] = [];
  readonly invalid: InjectedInvalid[] = [];
  readonly duplicates: InjectedDuplicate[] = [];
  private readonly recent: DomainEvent[] = [];
  private nextClose = 0;

  constructor(
    private readonly inject: Prng,
    private readonly invalidPerMillion: number,
    private readonly duplicatePerMillion: number,
    private readonly closeSchedule: readonly { period: string; closeDate: string }[],
  ) {}

  *emit(event: DomainEvent, logDate: string): Generator<DomainEvent> {
    this.markCloses(logDate);
    if (logDate > this.lastLogDate) this.lastLogDate = logDate;
    yield event;
    this.count += 1;
    this.countsByType.set(event.type, (this.countsByType.get(event.type) ?? 0) + 1);
    if (this.recent.length === RECENT_LIMIT) this.recent.shift();
    this.recent.push(event);
    if (this.inject.chance(this.invalidPerMillion)) {
      const bad = corrupt(this.inject, event);
      this.invalid.push({
        eventId: bad.event.eventId,
        field: bad.field,
        describe: bad.describe,
        eventIndex: this.count,
      });
      yield bad.event;
      this.count += 1;
    }
    if (this.inject.chance(this.duplicatePerMillion)) {
      const again = structuredClone(this.inject.pick(this.recent));
      this.duplicates.push({ eventId: again.eventId, eventIndex: this.count });
      yield again;
      this.count += 1;
    }
  }

  /** Quarters whose close date is before `logDate` close before the next event. */
  private markCloses(logDate: string): void {
    for (; this.nextClose < this.closeSchedule.length; this.nextClose += 1) {
      const close = this.closeSchedule[this.nextClose] as { period: string; closeDate: string };
      if (!(logDate > close.closeDate)) break;
      this.closes.push({ ...close, eventIndex: this.count });
    }
  }

  /** Quarters not yet closed at the end of the history close after its last event. */
  finish(): void {
    this.markCloses("9999-12-31");
  }
}

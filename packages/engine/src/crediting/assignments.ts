import { addDays, assertBusinessDate, maxDate, minDate } from "../calendar/index.js";

/** A `PlanAssigned` fact: the rep is on plan version `version` from effectiveFrom to effectiveTo (inclusive; null = open). */
export interface Assignment {
  readonly repId: string;
  readonly planId: string;
  readonly version: number;
  readonly effectiveFrom: string;
  readonly effectiveTo: string | null;
  readonly position: number;
  readonly eventId: string;
}

/** A stretch of days with one assignment in force; `to` null = open-ended. */
export interface Segment {
  readonly assignment: Assignment;
  readonly from: string;
  readonly to: string | null;
}

/**
 * Effective-dated plan assignments (DOMAIN.md §3): a deal is credited under the plan version in force for
 * its rep on its close date. Where the date ranges of two assignments overlap, the one recorded later
 * (higher log position) wins for the overlapping days; the earlier one keeps the days outside it. So
 * "move Ana to plan B from April" is one PlanAssigned with effectiveFrom 2026-04-01, and a correction is
 * simply a later assignment over the same range.
 */
export class PlanAssignments {
  private readonly byRep = new Map<string, Assignment[]>();
  /** Resolved timelines per rep, keyed by how many of the rep's assignments are visible (as-of queries). */
  private readonly timelines = new Map<string, Map<number, Segment[]>>();

  assign(a: Assignment): void {
    if (typeof a.repId !== "string" || a.repId === "")
      throw new RangeError("assignment repId must not be empty");
    if (!Number.isInteger(a.version) || a.version < 1) {
      throw new RangeError(`assignment ${a.eventId}: version must be 1 or more, got ${a.version}`);
    }
    assertBusinessDate(a.effectiveFrom, `assignment ${a.eventId} effectiveFrom`);
    if (a.effectiveTo !== null) {
      assertBusinessDate(a.effectiveTo, `assignment ${a.eventId} effectiveTo`);
      if (a.effectiveTo < a.effectiveFrom) {
        throw new RangeError(
          `assignment ${a.eventId}: effectiveTo ${a.effectiveTo} is before effectiveFrom ${a.effectiveFrom}`,
        );
      }
    }
    if (!Number.isSafeInteger(a.position) || a.position < 0) {
      throw new RangeError(`assignment ${a.eventId}: position must be a non-negative integer`);
    }
    let list = this.byRep.get(a.repId);
    if (list === undefined) {
      list = [];
      this.byRep.set(a.repId, list);
    }
    const last = list[list.length - 1];
    if (last !== undefined) {
      if (last.position === a.position) return; // the same fact applied twice
      if (last.position > a.position) {
        throw new RangeError(
          `assignment ${a.eventId}: facts must arrive in log order (position ${a.position} after ${last.position})`,
        );
      }
    }
    list.push(a);
    this.timelines.delete(a.repId);
  }

  /** The assignment in force for the rep on `date`, as recorded through `throughPosition`. */
  planOn(repId: string, date: string, throughPosition?: number): Assignment | undefined {
    const timeline = this.timeline(repId, throughPosition);
    // Binary search for the last segment starting on or before the date.
    let low = 0;
    let high = timeline.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((timeline[middle] as Segment).from <= date) low = middle + 1;
      else high = middle;
    }
    const segment = timeline[low - 1];
    if (segment === undefined || (segment.to !== null && segment.to < date)) return undefined;
    return segment.assignment;
  }

  /**
   * The assignments in force over [from, to] (inclusive), in date order, each clipped to the range.
   * Days with no plan are simply absent; use this to prorate a quota across a mid-period plan change.
   */
  segments(
    repId: string,
    from: string,
    to: string,
    throughPosition?: number,
  ): Array<{ assignment: Assignment; from: string; to: string }> {
    assertBusinessDate(from, "segments from");
    assertBusinessDate(to, "segments to");
    const out: Array<{ assignment: Assignment; from: string; to: string }> = [];
    for (const segment of this.timeline(repId, throughPosition)) {
      const clippedFrom = maxDate(segment.from, from);
      const clippedTo = segment.to === null ? to : minDate(segment.to, to);
      if (clippedFrom <= clippedTo)
        out.push({ assignment: segment.assignment, from: clippedFrom, to: clippedTo });
    }
    return out;
  }

  /**
   * The rep's timeline through the position (default: everything recorded): segments sorted by start, not
   * overlapping, each with the assignment in force. The shared cached list: callers must not change it.
   */
  timelineOf(repId: string, throughPosition?: number): readonly Readonly<Segment>[] {
    return this.timeline(repId, throughPosition);
  }

  /** Every assignment recorded for the rep (through the position), in log order. */
  history(repId: string, throughPosition?: number): readonly Assignment[] {
    const list = this.byRep.get(repId) ?? [];
    return list.slice(0, this.visibleCount(list, throughPosition));
  }

  private visibleCount(list: readonly Assignment[], throughPosition?: number): number {
    if (throughPosition === undefined) return list.length;
    let low = 0;
    let high = list.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((list[middle] as Assignment).position <= throughPosition) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  private timeline(repId: string, throughPosition?: number): Segment[] {
    const list = this.byRep.get(repId);
    if (list === undefined) return [];
    const count = this.visibleCount(list, throughPosition);
    let cache = this.timelines.get(repId);
    if (cache === undefined) {
      cache = new Map();
      this.timelines.set(repId, cache);
    }
    const cached = cache.get(count);
    if (cached !== undefined) return cached;
    const built = paint(list.slice(0, count));
    cache.set(count, built);
    return built;
  }
}

/** Lays assignments over each other in log order: each later one replaces whatever it overlaps. */
function paint(assignments: readonly Assignment[]): Segment[] {
  let segments: Segment[] = [];
  for (const assignment of assignments) {
    const from = assignment.effectiveFrom;
    const to = assignment.effectiveTo;
    const next: Segment[] = [];
    for (const segment of segments) {
      const endsBefore = segment.to !== null && segment.to < from;
      const startsAfter = to !== null && segment.from > to;
      if (endsBefore || startsAfter) {
        next.push(segment);
        continue;
      }
      if (segment.from < from) next.push({ ...segment, to: addDays(from, -1) });
      if (to !== null && (segment.to === null || segment.to > to))
        next.push({ ...segment, from: addDays(to, 1) });
    }
    next.push({ assignment, from, to });
    next.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
    segments = next;
  }
  return segments;
}

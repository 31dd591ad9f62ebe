import { Decimal } from "@icm/events";
import { type CompanyCalendar, type Period, periodContaining } from "../calendar/index.js";
import type { CompiledPlan, SourceRef } from "../facts/index.js";
import type {
  CalculationException,
  EntryKind,
  ExceptionCode,
  LedgerEntry,
  Mutable,
  Trace,
} from "../ledger/types.js";
import { roundAt } from "./format.js";

/** Sorted by position, without duplicates: the order an auditor replays them in. */
export function sortSources(sources: readonly (SourceRef | undefined)[]): SourceRef[] {
  // A line has a handful of sources: a linear scan for the first ref of each event id beats a Map.
  if (sources.length > SMALL_SOURCES) {
    const byId = new Map<string, SourceRef>();
    for (const s of sources) if (s !== undefined && !byId.has(s.eventId)) byId.set(s.eventId, s);
    return [...byId.values()].sort(compareSources);
  }
  const kept: SourceRef[] = [];
  for (const s of sources) {
    if (s === undefined) continue;
    let seen = false;
    for (const k of kept) {
      if (k.eventId === s.eventId) {
        seen = true;
        break;
      }
    }
    if (!seen) kept.push(s);
  }
  return kept.sort(compareSources);
}

/** Above this many sources the linear duplicate scan would cost more than a Map. */
const SMALL_SOURCES = 16;

function compareSources(a: SourceRef, b: SourceRef): number {
  return a.position - b.position || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0);
}

const ZERO = new Decimal(0);

/**
 * A line's sources sorted once, as its trace names them. Every line of one deal (earning, true-up, SPIFF,
 * bonus, their clawbacks) has the same sources: the caller sorts them once per deal and the lines share
 * the two arrays (a trace's arrays are readonly), instead of sorting and copying them for every line.
 */
export class SortedSources {
  readonly sourceEventIds: readonly string[];
  readonly positions: readonly number[];

  constructor(sources: readonly (SourceRef | undefined)[]) {
    const sorted = sortSources(sources);
    const sourceEventIds: string[] = [];
    const positions: number[] = [];
    for (const s of sorted) {
      sourceEventIds.push(s.eventId);
      positions.push(s.position);
    }
    this.sourceEventIds = sourceEventIds;
    this.positions = positions;
  }
}

export interface LineSpec {
  readonly kind: EntryKind;
  /** Unrounded or already rounded: rounded here, once, by the plan's policy. */
  readonly amount: Decimal;
  readonly plan: CompiledPlan;
  readonly component?: string | undefined;
  /** What the line is about, unique within (component, kind): "deal:D-1", "adj:A-7", "deal:D-1:rep-9". */
  readonly sourceKey: string;
  readonly businessDate: string;
  readonly dealId?: string | undefined;
  readonly band?: string | undefined;
  /** In any order, with duplicates (sorted here), or already sorted once for several lines. */
  readonly sources: readonly (SourceRef | undefined)[] | SortedSources;
  readonly inputs: Readonly<Record<string, string>>;
  readonly arithmetic: string;
  readonly explanation: string;
}

/** Collects the entries and exceptions of one (rep, quota period) with deterministic ids and order. */
export class EarningsBuilder {
  private readonly entries: { entry: LedgerEntry; seq: number }[] = [];
  private readonly ids = new Set<string>();
  private readonly exceptionList: CalculationException[] = [];
  private readonly exceptionKeys = new Set<string>();
  private seq = 0;

  constructor(
    readonly repId: string,
    readonly period: Period,
    readonly calendar: CompanyCalendar,
  ) {}

  payoutPeriodOf(plan: CompiledPlan, date: string): string {
    return periodContaining(this.calendar, plan.payoutPeriod, date).id;
  }

  /** Adds a line; the amount is rounded here with the plan's mode and scale. Returns the entry. */
  line(spec: LineSpec): LedgerEntry {
    const { scale, mode } = spec.plan.rounding;
    const amount = roundAt(spec.amount, scale, mode);
    const id = `${this.repId}/${this.period.id}/${spec.component ?? "-"}/${spec.sourceKey}/${spec.kind}`;
    if (this.ids.has(id)) throw new Error(`duplicate ledger entry id ${id}`);
    this.ids.add(id);
    const { sourceEventIds, positions } =
      spec.sources instanceof SortedSources ? spec.sources : new SortedSources(spec.sources);
    // Built a property at a time (see Mutable): every line of every statement comes through here. The keys
    // keep the order the literal with spreads had.
    const trace: Mutable<Trace> = {
      sourceEventIds,
      positions,
      planId: spec.plan.planId,
      planVersion: spec.plan.version,
    } as Mutable<Trace>;
    if (spec.component !== undefined) trace.component = spec.component;
    if (spec.band !== undefined) trace.band = spec.band;
    trace.inputs = spec.inputs;
    trace.arithmetic = spec.arithmetic;
    trace.explanation = spec.explanation;
    const entry: Mutable<LedgerEntry> = {
      id,
      repId: this.repId,
      kind: spec.kind,
      // Decimals are immutable: one shared zero (also drops the sign of a rounded -0).
      amount: amount.isZero() ? ZERO : amount,
      currency: spec.plan.currency,
      period: this.payoutPeriodOf(spec.plan, spec.businessDate),
      quotaPeriod: this.period.id,
      businessDate: spec.businessDate,
    } as Mutable<LedgerEntry>;
    if (spec.dealId !== undefined) entry.dealId = spec.dealId;
    entry.trace = trace;
    this.entries.push({ entry, seq: this.seq });
    this.seq += 1;
    return entry;
  }

  /** Records an exception once (same code, deal and period). */
  exception(
    code: ExceptionCode,
    message: string,
    sources: readonly (SourceRef | undefined)[],
    options: { period?: string; dealId?: string } = {},
  ): void {
    const key = `${code}|${options.dealId ?? ""}|${options.period ?? ""}|${message}`;
    if (this.exceptionKeys.has(key)) return;
    this.exceptionKeys.add(key);
    const refs = sortSources(sources);
    this.exceptionList.push({
      code,
      repId: this.repId,
      ...(options.period === undefined ? {} : { period: options.period }),
      ...(options.dealId === undefined ? {} : { dealId: options.dealId }),
      message,
      sourceEventIds: refs.map((s) => s.eventId),
      positions: refs.map((s) => s.position),
    });
  }

  /** Entries in business-time order (business date, then the order they were produced). */
  sortedEntries(): LedgerEntry[] {
    return [...this.entries]
      .sort((a, b) =>
        a.entry.businessDate < b.entry.businessDate
          ? -1
          : a.entry.businessDate > b.entry.businessDate
            ? 1
            : a.seq - b.seq,
      )
      .map((e) => e.entry);
  }

  exceptions(): CalculationException[] {
    return [...this.exceptionList];
  }
}

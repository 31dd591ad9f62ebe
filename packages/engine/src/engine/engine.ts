import {
  DECIMAL_STRING_PATTERN,
  Decimal,
  type DomainEvent,
  type EventMetadata,
  EventValidationError,
  formatDecimal,
  makeEvent,
  parseEvent,
} from "@icm/events";
import {
  PERIOD_MONTHS,
  type Period,
  type PeriodKind,
  parsePeriodId,
  periodContaining,
  periodsWithin,
} from "../calendar/index.js";
import type { LateFact } from "../close/index.js";
import { type QuotaPeriodEarnings, periodExceptions as stageOneExceptions } from "../earnings/index.js";
import { Facts, type RecordedDomainEvent, SharedValues } from "../facts/index.js";
import type { CalculationException, LedgerEntry } from "../ledger/types.js";
import { type PlanRef, type Statement, statementDigest } from "../statement/index.js";
import { ENGINE_VERSION } from "../version.js";
import { type PositionKey, StatementCalculator } from "./calculator.js";
import { periodExceptionsFrom } from "./exceptions.js";
import {
  buildRepLedger,
  defaultEarningsSource,
  type EarningsSource,
  ledgerCovers,
  type RepLedger,
} from "./rep-ledger.js";

export interface EngineOptions {
  /**
   * How many reps' latest statements, ledgers and stage-1 earnings are kept (least recently used dropped
   * first); default MAX_LATEST_LEDGER_REPS. Results never depend on it, only how often they are rebuilt.
   */
  readonly latestRepCacheSize?: number;
  /**
   * Keep every applied event so `whatIf` can replay them into a copy (default true). A replay or an audit
   * that never asks what-if passes false: the events are ~0.5 GiB of heap at 1.36M events.
   */
  readonly keepLog?: boolean;
  /**
   * Build a statement's ledger only through the quota periods it can need (default true; see
   * `buildRepLedger`). False builds every ledger whole: the reference the horizon law compares with.
   */
  readonly ledgerHorizons?: boolean;
  /**
   * What-if replays every recorded event into its copy (default false: only those that can reach the rep;
   * see `whatIf`). True is the reference the what-if law compares with.
   */
  readonly whatIfEveryEvent?: boolean;
  /**
   * Record which events touched each rep only for events at positions after this one (default -1: every
   * event). Those touches are what a statement's late facts (the events after a close that explain its
   * prior-period adjustments) are read from, and what lets a past position reuse the latest ledger. An
   * auditor's replay passes Number.MAX_SAFE_INTEGER: applying a close lowers the bound to the close's
   * `throughPosition` when nothing after that position was applied yet, and a replay that reads ahead calls
   * `recordLateFactsAfter` before applying the events a close was not computed through. At the default
   * benchmark size, working out every event's touches is half of applying the log. Statements never depend
   * on the bound; asking for late facts the engine did not record is an invariant error, never a silent gap.
   */
  readonly lateFactsAfter?: number;
}

export interface AsOfOptions {
  /** Inclusive log position; facts recorded after it are ignored. Default: everything applied. */
  readonly throughPosition?: number;
}

/** A hypothetical deal for "what would this pay?" (amounts as decimal strings, like the wire). */
export interface WhatIfDeal {
  readonly amount: string;
  readonly currency: string;
  readonly closeDate: string;
  readonly product: string;
  readonly dealType: string;
  /** The rep's share of the deal, default "1". */
  readonly share?: string;
}

export interface CloseManifest {
  readonly period: string;
  readonly throughPosition: number;
  readonly engineVersion: string;
  readonly planVersions: readonly PlanRef[];
  /** One line per statement, sorted by rep id: payable at the plan scale and the statement digest. */
  readonly statements: readonly { repId: string; currency: string; payable: string; digest: string }[];
}

export interface WhatIfResult {
  /** Lines that the deal would add or change on the rep's ledger (the new values). */
  readonly entries: LedgerEntry[];
  /** Change in payable over the payout periods whose lines change (draw lines included). */
  readonly payableDelta: Decimal;
  /** Those payout periods, sorted. */
  readonly periods: string[];
}

/** Historic (as-of) results never change; they are kept up to this many per cache, then the cache restarts. */
const MAX_HISTORIC_CACHE = 20_000;
/**
 * Latest statements are kept for this many reps, least recently used dropped first: a statement is large
 * (~110 KB) and cheap to rebuild from the rep's cached ledger, so holding every rep's only feeds the GC.
 */
const MAX_LATEST_STATEMENT_REPS = 256;
/**
 * Latest ledgers and stage-1 earnings are kept for this many reps, least recently used dropped first. A rep's
 * ledger holds every line of its history (a manager's has one overlay line per deal of their organisation),
 * so keeping every rep's grows with the whole company. Computing a rep's ledger reads facts only, never
 * another rep's ledger or earnings (overlays re-credit the reports' deals from the facts), so a pass over
 * every rep (statements of a period, a close, a replay) builds each ledger once whatever the bound. Reps that
 * events touch all the time (managers) stay recently used, so incremental recomputes keep their earnings.
 */
const MAX_LATEST_LEDGER_REPS = 256;
/** Distinct quota period ids shared between touches (there are a few per fiscal year); cleared when full. */
const MAX_INTERNED_QUOTA_PERIODS = 10_000;
/** The metadata of every event in the kept log (see withoutMetadata). */
const NO_METADATA: EventMetadata = Object.freeze({});

/**
 * What the log kept for what-if and diff holds of an applied event. Both read its id, type, data and
 * position, and the facts never read metadata (correlation and causation ids, the source system): one
 * object and its strings fewer per event, ~5 % of a workspace's heap at 1,000 reps.
 */
function withoutMetadata(recorded: RecordedDomainEvent): RecordedDomainEvent {
  const { eventId, type, schemaVersion, data } = recorded.event;
  return {
    globalPosition: recorded.globalPosition,
    event: { eventId, type, schemaVersion, data, metadata: NO_METADATA } as DomainEvent,
  };
}

/** The id of the hypothetical deal (it exists only in the throw-away copy of the engine). */
const WHAT_IF_DEAL_ID = "what-if:deal";
/** Who holds the rest of a what-if deal when the rep's share is below 1. */
const WHAT_IF_OTHERS = "what-if:others";

interface Touch extends LateFact {
  readonly quotaPeriods: readonly string[];
}

/**
 * The events that affected one rep, as parallel arrays in log order: one Touch object per (event, rep) was
 * ~280 bytes, and every deal touches its reps and their managers' chain (millions at full size).
 * A touch's quota periods are kept as the id itself when there is one (the usual case). Its event id is
 * not kept per touch but once per event (Engine.touchingEvents): ~5 touches per deal event at the
 * default benchmark size.
 */
interface RepTouches {
  readonly positions: number[];
  readonly quotaPeriods: (string | readonly string[])[];
}

/** Every applied event that touched at least one rep, as parallel arrays ascending by position. */
interface TouchingEvents {
  readonly positions: number[];
  readonly eventIds: string[];
}

/** The rep's latest (position "L") ledger and stage-1 earnings per quota period (valid for a revision). */
interface LatestOfRep {
  ledger: RepLedger | undefined;
  readonly earnings: Map<string, { revision: number; result: QuotaPeriodEarnings }>;
}

function boundedSet<K, V>(map: Map<K, V>, key: K, value: V): void {
  if (map.size >= MAX_HISTORIC_CACHE) map.clear();
  map.set(key, value);
}

/**
 * The engine facade: apply recorded events, ask for statements (now or as of any log position), explain,
 * simulate. Statements are pure functions of the events up to a position.
 *
 * Incremental: stage-1 earnings are memoized per (rep, quota period) on Facts.revisionOf; the statements of a
 * rep are cached until an event affecting that rep (Facts.affectedBy) or a company-wide event (calendar, plan
 * publication, close) is applied, so a new deal recomputes one rep's chain, not every rep. Results as of a
 * past position are immutable and cached by position.
 */
export class Engine {
  readonly facts = new Facts();
  private readonly recorded: RecordedDomainEvent[] = [];
  private readonly touches = new Map<string, RepTouches>();
  private readonly touchingEvents: TouchingEvents = { positions: [], eventIds: [] };
  private readonly quotaPeriodIds = new SharedValues<string>(MAX_INTERNED_QUOTA_PERIODS);
  /** Touch lists of several quota periods, shared by content (a few distinct lists, hundreds of thousands of touches). */
  private readonly quotaPeriodLists = new SharedValues<readonly string[]>(MAX_INTERNED_QUOTA_PERIODS);
  private readonly latestStatements = new Map<string, Map<string, Statement>>();
  /** Least recently used first (Map order is insertion order; a use re-inserts). */
  private readonly latest = new Map<string, LatestOfRep>();
  private readonly historicStatements = new Map<string, Statement>();
  private readonly historicLedgers = new Map<string, RepLedger>();
  private readonly historicEarnings = new Map<string, QuotaPeriodEarnings>();
  private readonly exceptionsMemo = new Map<number, readonly CalculationException[]>();
  /** Position of the last calendar or plan publication: facts that may change every rep's ledger. */
  private lastCompanyWidePosition = -1;
  private readonly earningsSource: EarningsSource;
  private readonly calculator: StatementCalculator;
  private readonly latestRepCacheSize: number;
  private readonly keepLog: boolean;
  private readonly ledgerHorizons: boolean;
  private readonly whatIfEveryEvent: boolean;
  /** Touches are recorded for events at positions after this one (see EngineOptions.lateFactsAfter). */
  private lateFactsAfter: number;
  /** The last position applied without recording its touches (-1: none). */
  private lastUntouchedPosition = -1;

  constructor(options: EngineOptions = {}) {
    this.keepLog = options.keepLog ?? true;
    const lateFactsAfter = options.lateFactsAfter ?? -1;
    if (!Number.isSafeInteger(lateFactsAfter) || lateFactsAfter < -1)
      throw new RangeError(`lateFactsAfter must be a whole number ≥ -1, got ${lateFactsAfter}`);
    this.lateFactsAfter = lateFactsAfter;
    this.ledgerHorizons = options.ledgerHorizons ?? true;
    this.whatIfEveryEvent = options.whatIfEveryEvent ?? false;
    const size = options.latestRepCacheSize ?? MAX_LATEST_LEDGER_REPS;
    if (!Number.isSafeInteger(size) || size < 1)
      throw new RangeError(`latestRepCacheSize must be a whole number ≥ 1, got ${size}`);
    this.latestRepCacheSize = size;
    this.earningsSource = defaultEarningsSource(this.facts);
    this.calculator = new StatementCalculator({
      facts: this.facts,
      resolve: (key) => (key === "L" ? this.facts.lastPosition : key),
      ledgerAt: (repId, key, periodId) =>
        this.ledgerAt(repId, key, periodId === undefined ? undefined : this.horizonFor(periodId, key)),
      exceptionsAt: (key) => this.stageOneExceptionsAt(key === "L" ? this.facts.lastPosition : key),
      lateFactsOf: (repId, after, through) => this.touchesBetween(repId, after, through),
      cacheGet: (repId, periodId, key) =>
        key === "L"
          ? this.latestStatementsOf(repId)?.get(periodId)
          : this.historicStatements.get(`${repId}|${periodId}|${key}`),
      cacheSet: (repId, periodId, key, statement) => {
        if (key !== "L") return boundedSet(this.historicStatements, `${repId}|${periodId}|${key}`, statement);
        let byPeriod = this.latestStatementsOf(repId);
        if (byPeriod === undefined) {
          byPeriod = new Map();
          // Map order is insertion order: the first key is the rep used least recently.
          while (this.latestStatements.size >= Math.min(MAX_LATEST_STATEMENT_REPS, this.latestRepCacheSize)) {
            const oldest = this.latestStatements.keys().next();
            if (oldest.done === true) break;
            this.latestStatements.delete(oldest.value);
          }
          this.latestStatements.set(repId, byPeriod);
        }
        byPeriod.set(periodId, statement);
      },
    });
  }

  get lastPosition(): number {
    return this.facts.lastPosition;
  }

  /** Applies one recorded event (idempotent by eventId; positions must increase). */
  apply(recorded: RecordedDomainEvent): void {
    const before = this.facts.lastPosition;
    this.facts.apply(recorded);
    if (this.facts.lastPosition === before) return; // a duplicate: nothing changed
    if (this.keepLog) this.recorded.push(withoutMetadata(recorded));
    const type = recorded.event.type;
    // A close changes which statements are frozen, never a rep's ledger; calendar and plan changes can
    // change every ledger.
    if (recorded.event.type === "PeriodClosed") {
      this.latestStatements.clear();
      // Its statements' late facts start after its throughPosition. An engine that skipped touches so far
      // records them from there when nothing after it was applied yet (a close usually follows the position
      // it was computed through); otherwise asking for them is an invariant error (see touchesBetween).
      this.recordLateFactsAfter(recorded.event.data.throughPosition);
    }
    if (type === "CalendarConfigured" || type === "PlanVersionPublished") {
      this.lastCompanyWidePosition = recorded.globalPosition;
      this.latestStatements.clear();
      // Stage-1 earnings stay: they are memoized on Facts.revisionOf, which these events move.
      for (const cached of this.latest.values()) cached.ledger = undefined;
    }
    // Nothing cached yet (a replay, a verify, a workspace opening): no cache entry to drop per touch. Two
    // lookups in maps of every rep per (event, rep) pair, ~7 million pairs at the default benchmark size.
    const dropCached = this.latestStatements.size > 0 || this.latest.size > 0;
    const recordTouches = recorded.globalPosition > this.lateFactsAfter;
    if (!recordTouches) this.lastUntouchedPosition = recorded.globalPosition;
    // Neither a touch to record nor a cache entry to drop: the question is not worth asking (it builds every
    // touched rep's activity summary and looks up the plan of each manager above them).
    if (!recordTouches && !dropCached) return;
    const affected = this.facts.affectedByRep(recorded);
    if (!recordTouches) {
      for (const repId of affected.keys()) this.dropCachedOf(repId);
      return;
    }
    if (affected.size > 0) {
      this.touchingEvents.positions.push(recorded.globalPosition);
      this.touchingEvents.eventIds.push(recorded.event.eventId);
    }
    // Per rep, independent of the order of reps: each rep's touches are its own, in log order.
    for (const [repId, quotaPeriods] of affected) {
      let touches = this.touches.get(repId);
      if (touches === undefined) {
        touches = { positions: [], quotaPeriods: [] };
        this.touches.set(repId, touches);
      }
      touches.positions.push(recorded.globalPosition);
      touches.quotaPeriods.push(
        quotaPeriods.length === 1
          ? this.internQuotaPeriod(quotaPeriods[0] as string)
          : this.internQuotaPeriods(quotaPeriods),
      );
      if (dropCached) this.dropCachedOf(repId);
    }
  }

  /**
   * From now on, record touches for events at positions after `position` too (the bound only goes down). A
   * replay calls it when it meets a close, before applying the events after the close's `throughPosition`.
   * False when some of those events were already applied without their touches: this engine cannot answer
   * that close's late facts, and the caller must replay into an engine with a lower bound.
   */
  recordLateFactsAfter(position: number): boolean {
    if (!Number.isSafeInteger(position) || position < -1)
      throw new RangeError(`recordLateFactsAfter needs a whole number ≥ -1, got ${position}`);
    if (position >= this.lateFactsAfter) return true;
    if (this.lastUntouchedPosition > position) return false;
    this.lateFactsAfter = position;
    return true;
  }

  private dropCachedOf(repId: string): void {
    this.latestStatements.delete(repId);
    const cached = this.latest.get(repId);
    if (cached !== undefined) cached.ledger = undefined;
  }

  applyAll(events: Iterable<RecordedDomainEvent>): void {
    for (const e of events) this.apply(e);
  }

  /**
   * The applied events at positions in (after, through], in log order (a statement diff names them). Read
   * from the log kept for what-if (positions increase along it), so a caller need not keep a second copy.
   * Their metadata is empty: the log keeps id, type, schema version, data and position (withoutMetadata).
   */
  recordedBetween(after: number, through: number): RecordedDomainEvent[] {
    if (!this.keepLog)
      throw new Error("recordedBetween needs the engine's log: this engine was built with keepLog: false");
    const out: RecordedDomainEvent[] = [];
    const first = firstAbove(this.recorded, after, (r) => r.globalPosition);
    for (let i = first; i < this.recorded.length; i += 1) {
      const recorded = this.recorded[i] as RecordedDomainEvent;
      if (recorded.globalPosition > through) break;
      out.push(recorded);
    }
    return out;
  }

  /** A rep's statement for a payout period ("2026-03", "2026-Q1"), now or as of a log position. */
  statement(repId: string, period: string, options: AsOfOptions = {}): Statement {
    const key = this.keyOf(options);
    parsePeriodId(this.facts.calendar(this.resolve(key)), period); // asserts a well-formed period id
    const s = this.calculator.statement(repId, period, key);
    // A cached open statement is still right at a later position (nothing affecting the rep was applied).
    return s.closed === undefined && key === "L" && s.throughPosition !== this.facts.lastPosition
      ? { ...s, throughPosition: this.facts.lastPosition }
      : s;
  }

  /** Every rep with a plan, lines or exceptions in the period, sorted by rep id. */
  statements(period: string, options: AsOfOptions = {}): Statement[] {
    return [...this.eachStatement(period, options)];
  }

  /**
   * `statements(period, options)` one at a time, computed as they are asked for. A payout run folds each
   * statement into its digest and payable and lets it go: holding every statement of a period at once (each
   * with all its lines and traces) was several GiB at 10,000 reps and most of the close's garbage
   * collection. Do not apply events while iterating.
   *
   * A pass over more reps than the latest-result cache holds does not churn that cache: a rep's ledger and
   * statements computed by the pass are dropped once the caller moves on to the next rep, unless the rep was
   * already cached (recently used by someone else). Cached, each would have been evicted by the pass itself
   * before anyone asked again, after living long enough to be copied into the old generation: at 10,000
   * reps that is every rep's whole ledger, manager overlays included, as garbage for the full collections.
   */
  *eachStatement(period: string, options: AsOfOptions = {}): Generator<Statement, void, undefined> {
    const key = this.keyOf(options);
    const position = this.resolve(key);
    const p = parsePeriodId(this.facts.calendar(position), period);
    for (const repId of this.passOverReps(key)) {
      const s = this.statement(repId, period, options);
      const hasPlan = this.facts.planSegments(repId, p.start, p.end, position).length > 0;
      if (hasPlan || s.entries.length > 0 || s.exceptions.length > 0) yield s;
    }
  }

  /**
   * Every rep id in order, for a pass over every rep: after the caller is done with a rep (asks for the
   * next), what the pass computed for it is dropped when the pass is larger than the latest-result cache and
   * the rep was not cached before (see eachStatement). Throws when an event is applied during the pass.
   */
  private *passOverReps(key: PositionKey): Generator<string, void, undefined> {
    const reps = this.facts.repIds();
    const scan = key === "L" && reps.length > this.latestRepCacheSize;
    const applied = this.facts.lastPosition;
    for (const repId of reps) {
      if (this.facts.lastPosition !== applied)
        throw new Error("Engine: an event was applied while the statements were being read");
      const cachedBefore = !scan || this.latest.has(repId) || this.latestStatements.has(repId);
      yield repId;
      if (!cachedBefore) {
        this.latest.delete(repId);
        this.latestStatements.delete(repId);
      }
    }
  }

  /**
   * What a PeriodClosed records about the period's statements (the close service adds the chain head,
   * the Merkle root over the digests, who closed it and any override).
   */
  closeManifest(period: string, options: AsOfOptions = {}): CloseManifest {
    // One statement at a time: a manifest needs each one's digest and plans, not its lines.
    const plans = new Map<string, PlanRef>();
    const lines: CloseManifest["statements"][number][] = [];
    for (const st of this.eachStatement(period, options)) {
      for (const p of st.plans) plans.set(`${p.planId}@${p.version}`, p);
      lines.push({
        repId: st.repId,
        currency: st.currency,
        payable: formatDecimal(st.payable, st.scale),
        digest: statementDigest(st),
      });
    }
    return {
      period,
      throughPosition: this.resolve(this.keyOf(options)),
      engineVersion: ENGINE_VERSION,
      planVersions: [...plans.values()].sort((a, b) =>
        a.planId < b.planId ? -1 : a.planId > b.planId ? 1 : a.version - b.version,
      ),
      statements: lines,
    };
  }

  /**
   * `periodExceptions` of several periods, from one pass over the reps: each rep's statements of all the
   * periods are computed together, latest period first (its ledger's horizon covers the earlier periods, and
   * its chain of balances computes their statements on the way), so a rep's ledger is built once, not once
   * per period. Asking period by period rebuilt every rep's ledger for each period whenever the company has
   * more reps than the latest-result cache holds.
   */
  periodExceptionsOf(
    periods: readonly string[],
    options: AsOfOptions = {},
  ): Map<string, CalculationException[]> {
    const byRep = this.statementExceptionsOf(periods, options);
    return this.periodExceptionsGiven(
      periods,
      function* (period) {
        for (const byPeriod of byRep.values()) yield byPeriod.get(period) ?? [];
      },
      options,
    );
  }

  /**
   * Every rep's statement exceptions for each of the periods, rep by rep, from one pass over the reps (the
   * pass `periodExceptionsOf` makes): each rep's periods are computed together, latest first. A period whose
   * statement is empty (no entries, no exceptions) is left out of the rep's map. For a caller that keeps
   * them and later recomputes only what changes (the projector).
   */
  statementExceptionsOf(
    periods: readonly string[],
    options: AsOfOptions = {},
  ): Map<string, Map<string, readonly CalculationException[]>> {
    const key = this.keyOf(options);
    const calendar = this.facts.calendar(this.resolve(key));
    const latestFirst = periods
      .map((id) => parsePeriodId(calendar, id))
      .sort((a, b) => (a.end !== b.end ? (a.end < b.end ? 1 : -1) : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const out = new Map<string, Map<string, readonly CalculationException[]>>();
    for (const repId of this.passOverReps(key)) {
      const byPeriod = new Map<string, readonly CalculationException[]>();
      for (const p of latestFirst) {
        const statement = this.statement(repId, p.id, options);
        if (statement.entries.length > 0 || statement.exceptions.length > 0)
          byPeriod.set(p.id, statement.exceptions);
      }
      if (byPeriod.size > 0) out.set(repId, byPeriod);
    }
    return out;
  }

  /**
   * `periodExceptionsOf` from statements' exceptions the caller already holds (`statementExceptions(period)`:
   * the exceptions of every rep's statement of that period, as `statement(rep, period).exceptions` gives
   * them, in any order): adds the company-wide ones that touch each period and sorts, exactly as
   * `periodExceptionsOf` does. For a projector that keeps each rep's exceptions from the statements it
   * computed, instead of a pass over every rep at every commit.
   */
  periodExceptionsGiven(
    periods: readonly string[],
    statementExceptions: (period: string) => Iterable<readonly CalculationException[]>,
    options: AsOfOptions = {},
  ): Map<string, CalculationException[]> {
    const position = this.resolve(this.keyOf(options));
    const calendar = this.facts.calendar(position);
    const stageOne = this.stageOneExceptionsAt(position);
    const out = new Map<string, CalculationException[]>();
    for (const id of periods) {
      const statements = [...statementExceptions(id)].map((exceptions) => ({ exceptions }));
      out.set(id, periodExceptionsFrom(statements, stageOne, parsePeriodId(calendar, id), calendar));
    }
    return out;
  }

  /** Every exception that touches the period: each statement's, plus company-wide ones (e.g. unknown reps). */
  periodExceptions(period: string, options: AsOfOptions = {}): CalculationException[] {
    return this.periodExceptionsOf([period], options).get(period) ?? [];
  }

  /**
   * Payout periods whose statements a just-applied event may change directly (the rep's later periods can
   * also move through carried draw and holdback balances). Call right after `apply`.
   */
  affected(recorded: RecordedDomainEvent): { repId: string; period: string }[] {
    const position = this.facts.lastPosition;
    const calendar = this.facts.calendar(position);
    const out = new Map<string, { repId: string; period: string }>();
    for (const { repId, quotaPeriod } of this.facts.affectedBy(recorded)) {
      const qp = parsePeriodId(calendar, quotaPeriod);
      for (const period of this.payoutPeriodsIn(repId, qp, position))
        out.set(`${repId}|${period.id}`, { repId, period: period.id });
    }
    return [...out.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  }

  /** Payout periods the rep has lines in (as of the position), in the kind of each line's plan, sorted by start. */
  payoutPeriodsOf(repId: string, options: AsOfOptions = {}): string[] {
    const ledger = this.ledgerAt(repId, this.keyOf(options));
    return [...ledger.periods.values()]
      .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.end < b.end ? -1 : 1))
      .map((p) => p.id);
  }

  /**
   * What would a deal pay the rep? Runs the same engine on a copy of the log with the deal appended;
   * nothing is recorded. Throws EventValidationError when the deal is not a valid DealClosed.
   */
  whatIf(repId: string, deal: WhatIfDeal, options: AsOfOptions = {}): WhatIfResult {
    const position = this.resolve(this.keyOf(options));
    const event = makeEvent("DealClosed", "what-if:event", {
      dealId: WHAT_IF_DEAL_ID,
      amount: deal.amount,
      currency: deal.currency,
      closeDate: deal.closeDate,
      product: deal.product,
      dealType: deal.dealType,
      splits: this.whatIfSplits(repId, deal.share ?? "1"),
    });
    const parsed = parseEvent(event);
    if (!parsed.ok) throw new EventValidationError(parsed.issues);
    const copy = new Engine();
    if (!this.keepLog)
      throw new Error("what-if needs the engine's log: this engine was built with keepLog: false");
    const relevant = this.whatIfEveryEvent ? () => true : this.whatIfRelevance(repId);
    for (const r of this.recorded) if (r.globalPosition <= position && relevant(r)) copy.apply(r);
    const before = copy.ledgerAt(repId, "L");
    const positionBefore = copy.lastPosition;
    copy.apply({ globalPosition: Math.max(copy.lastPosition, position) + 1, event: parsed.value });
    const after = copy.ledgerAt(repId, "L");
    const previous = new Map(before.lines.map((l) => [l.id, l.amount]));
    const entries = after.lines.filter((l) => {
      const old = previous.get(l.id);
      return old === undefined || !old.equals(l.amount);
    });
    const afterIds = new Set(after.lines.map((l) => l.id));
    const periods = new Set(entries.map((e) => e.period));
    for (const l of before.lines) if (!afterIds.has(l.id)) periods.add(l.period);
    const sorted = [...periods].sort();
    let payableDelta = new Decimal(0);
    for (const id of sorted) {
      payableDelta = payableDelta
        .plus(copy.statement(repId, id).payable)
        .minus(copy.statementAt(repId, id, positionBefore).payable);
    }
    return { entries, payableDelta, periods: sorted };
  }

  /**
   * Which recorded events a what-if for the rep replays into its copy: every event except the deal events
   * (closes, amendments, cancellations, payments: nearly the whole log) of deals that never credited the rep
   * or anyone who ever reported to them, in any version. Those cannot reach the rep's ledger (own deals and
   * overlays on reports' deals); at 1.36M events the copy applies the rep's few hundred deals instead of a
   * full replay of about two minutes. A deal event without a known deal is kept. Positions stay as recorded.
   * A law compares every what-if with the replay of the whole log (EngineOptions.whatIfEveryEvent).
   */
  private whatIfRelevance(repId: string): (recorded: RecordedDomainEvent) => boolean {
    const involved = new Set([repId, ...this.facts.everReportsOf(repId)]);
    const byDeal = new Map<string, boolean>();
    const last = this.facts.lastPosition;
    return ({ event }) => {
      if (
        event.type !== "DealClosed" &&
        event.type !== "DealAmended" &&
        event.type !== "DealCancelled" &&
        event.type !== "PaymentReceived"
      )
        return true;
      const dealId = event.data.dealId;
      const known = byDeal.get(dealId);
      if (known !== undefined) return known;
      const history = this.facts.dealHistory(dealId);
      const keep =
        history === undefined ||
        history.allVersionsThrough(last).some((v) => v.splits.some((s) => involved.has(s.repId)));
      byDeal.set(dealId, keep);
      return keep;
    };
  }

  /**
   * The rep's share, and the rest of the deal to a placeholder that is never onboarded: the rep is credited
   * exactly their share of the amount and the rest is credited to no one.
   */
  private whatIfSplits(repId: string, share: string): { repId: string; share: string }[] {
    if (!DECIMAL_STRING_PATTERN.test(share)) return [{ repId, share }]; // rejected by validation below
    const rest = new Decimal(1).minus(new Decimal(share));
    if (rest.lessThanOrEqualTo(0) || rest.greaterThanOrEqualTo(1)) return [{ repId, share }];
    return [
      { repId, share },
      { repId: WHAT_IF_OTHERS, share: rest.toFixed() },
    ];
  }

  private internQuotaPeriod(id: string): string {
    return this.quotaPeriodIds.get(id, SharedValues.same);
  }

  /**
   * One frozen list per distinct content: at 1,000 reps 208,840 touches name two or more quota periods, and
   * an array each was 7 % of the heap after opening. Callers only read a touch's list.
   */
  private internQuotaPeriods(ids: readonly string[]): readonly string[] {
    return this.quotaPeriodLists.get(ids.join("\u0000"), () =>
      Object.freeze(ids.map((id) => this.internQuotaPeriod(id))),
    );
  }

  /** Facts that affected the rep at positions in (after, through], in log order. */
  private touchesBetween(repId: string, after: number, through: number): Touch[] {
    // Touches at or before the bound were never recorded: an answer from here would silently leave facts out.
    if (after < this.lateFactsAfter)
      throw new Error(
        `engine invariant: late facts after position ${after} asked of an engine that records them only after ${this.lateFactsAfter}`,
      );
    const touches = this.touches.get(repId);
    if (touches === undefined) return [];
    const out: Touch[] = [];
    // Positions increase: start at the first one past `after`.
    for (let i = firstAbove(touches.positions, after, (p) => p); i < touches.positions.length; i += 1) {
      const position = touches.positions[i] as number;
      if (position > through) break;
      const quotaPeriods = touches.quotaPeriods[i] as string | readonly string[];
      out.push({
        eventId: this.touchingEventId(position),
        position,
        quotaPeriods: typeof quotaPeriods === "string" ? [quotaPeriods] : quotaPeriods,
      });
    }
    return out;
  }

  /** The id of the applied event at a position some rep's touches name (it is always there). */
  private touchingEventId(position: number): string {
    const { positions, eventIds } = this.touchingEvents;
    const index = firstAbove(positions, position - 1, (p) => p);
    if (positions[index] !== position)
      throw new Error(`engine invariant: no touching event at position ${position}`);
    return eventIds[index] as string;
  }

  /** The rep's latest ledger and earnings, marked as most recently used (created, evicting the oldest, if absent). */
  private latestOf(repId: string): LatestOfRep {
    let cached = this.latest.get(repId);
    if (cached !== undefined) {
      this.latest.delete(repId);
    } else {
      cached = { ledger: undefined, earnings: new Map() };
      while (this.latest.size >= this.latestRepCacheSize) {
        const oldest = this.latest.keys().next();
        if (oldest.done === true) break;
        this.latest.delete(oldest.value);
      }
    }
    this.latest.set(repId, cached);
    return cached;
  }

  /** The rep's cached latest statements, marked as most recently used. */
  private latestStatementsOf(repId: string): Map<string, Statement> | undefined {
    const byPeriod = this.latestStatements.get(repId);
    if (byPeriod !== undefined) {
      this.latestStatements.delete(repId);
      this.latestStatements.set(repId, byPeriod);
    }
    return byPeriod;
  }

  private statementAt(repId: string, periodId: string, position: number): Statement {
    return this.calculator.statement(repId, periodId, position >= this.facts.lastPosition ? "L" : position);
  }

  private keyOf(options: AsOfOptions): PositionKey {
    const through = options.throughPosition;
    if (through === undefined || through >= this.facts.lastPosition) return "L";
    if (!Number.isSafeInteger(through))
      throw new RangeError(`throughPosition must be a whole number, got ${through}`);
    return through;
  }

  private resolve(key: PositionKey): number {
    return key === "L" ? this.facts.lastPosition : key;
  }

  /** The rep's ledger as of `key`; with a horizon it may leave out quota periods starting after it. */
  private ledgerAt(repId: string, key: PositionKey, horizon?: string): RepLedger {
    // Nothing recorded after `key` touched this rep: its ledger as of `key` is its latest ledger. This is
    // what makes freezing a close cheap (the close is usually computed through the position just before it).
    // Only past the late-facts bound are all touches recorded, so only there does "no touch" mean none.
    if (
      key !== "L" &&
      key >= this.lateFactsAfter &&
      key >= this.lastCompanyWidePosition &&
      key >= (this.touches.get(repId)?.positions.at(-1) ?? -1)
    ) {
      return this.ledgerAt(repId, "L", horizon);
    }
    const build = (): RepLedger =>
      buildRepLedger(
        this.facts,
        repId,
        this.resolve(key),
        (rep, qp, through) => this.earnings(rep, qp, through, key),
        horizon,
      );
    if (key === "L") {
      const latest = this.latestOf(repId);
      if (latest.ledger !== undefined && ledgerCovers(latest.ledger, horizon)) return latest.ledger;
      latest.ledger = build();
      return latest.ledger;
    }
    const cached = this.historicLedgers.get(`${repId}|${key}`);
    if (cached !== undefined && ledgerCovers(cached, horizon)) return cached;
    const ledger = build();
    boundedSet(this.historicLedgers, `${repId}|${key}`, ledger);
    return ledger;
  }

  /**
   * The last business date whose quota periods a statement of `periodId` (and of the periods before it,
   * whose balances it carries) can need: the period's end. Undefined: the whole ledger.
   */
  private horizonFor(periodId: string, key: PositionKey): string | undefined {
    if (!this.ledgerHorizons) return undefined;
    return parsePeriodId(this.facts.calendar(this.resolve(key)), periodId).end;
  }

  private earnings(
    repId: string,
    quotaPeriod: string,
    through: number,
    key: PositionKey,
  ): QuotaPeriodEarnings {
    if (key !== "L") {
      const k = `${repId}|${quotaPeriod}|${key}`;
      const hit = this.historicEarnings.get(k);
      if (hit !== undefined) return hit;
      const result = this.earningsSource(repId, quotaPeriod, through);
      boundedSet(this.historicEarnings, k, result);
      return result;
    }
    const revision = this.facts.revisionOf(repId, quotaPeriod);
    const byPeriod = this.latestOf(repId).earnings;
    const hit = byPeriod.get(quotaPeriod);
    if (hit !== undefined && hit.revision === revision) return hit.result;
    const result = this.earningsSource(repId, quotaPeriod, through);
    byPeriod.set(quotaPeriod, { revision, result });
    return result;
  }

  private stageOneExceptionsAt(position: number): readonly CalculationException[] {
    const hit = this.exceptionsMemo.get(position);
    if (hit !== undefined) return hit;
    const list = stageOneExceptions(this.facts, position);
    if (this.exceptionsMemo.size >= 64) this.exceptionsMemo.clear();
    this.exceptionsMemo.set(position, list);
    return list;
  }

  /** The rep's payout periods inside a quota period, in the payout kind of the plan in force at its end. */
  private payoutPeriodsIn(repId: string, quotaPeriod: Period, position: number): Period[] {
    const calendar = this.facts.calendar(position);
    const plan = this.facts.planFor(repId, quotaPeriod.end, position);
    const kind: PeriodKind = plan?.compiled.payoutPeriod ?? "month";
    if (PERIOD_MONTHS[kind] <= PERIOD_MONTHS[quotaPeriod.kind])
      return periodsWithin(calendar, kind, quotaPeriod);
    return [periodContaining(calendar, kind, quotaPeriod.start)];
  }
}

/** Index of the first item whose position is above `after`, in a list ascending by position (its length when none is). */
function firstAbove<T>(sorted: readonly T[], after: number, positionOf: (item: T) => number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (positionOf(sorted[mid] as T) > after) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

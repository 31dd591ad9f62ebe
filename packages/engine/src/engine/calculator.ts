import { Decimal, minorUnits, type RoundingMode, roundDecimal } from "@icm/events";
import { type CompanyCalendar, type Period, parsePeriodId, previousPeriod } from "../calendar/index.js";
import { type CloseRecord, closeCovering, type LateFact, priorPeriodAdjustments } from "../close/index.js";
import { type DrawTerms, drawEntries, settleDraw } from "../draw/index.js";
import type { Facts } from "../facts/index.js";
import type { CalculationException, LedgerEntry } from "../ledger/types.js";
import {
  assembleStatement,
  type PlanRef,
  type Statement,
  type StatementAttainment,
  type StatementBalance,
  sumAmounts,
} from "../statement/index.js";
import { currencyExceptions, statementExceptions } from "./exceptions.js";
import { overlaps, within } from "./periods.js";
import type { RepLedger } from "./rep-ledger.js";

/**
 * Most periods computed to carry balances up to one statement (100 years of months). A longer chain means a
 * hire date or a line dated centuries back: bad data, reported rather than computed.
 */
export const MAX_CHAIN_PERIODS = 1_200;

const ZERO = new Decimal(0);
const ZERO_BALANCE: StatementBalance = { drawDeficit: ZERO, heldBack: ZERO };

/** "L" = the latest position (cache entry invalidated when the rep's facts change); a number = as of that position (immutable). */
export type PositionKey = "L" | number;

export interface CalculatorPorts {
  readonly facts: Facts;
  /** The log position a key stands for. */
  readonly resolve: (key: PositionKey) => number;
  /** The rep's ledger; with `periodId`, one that may leave out quota periods no statement up to it needs. */
  readonly ledgerAt: (repId: string, key: PositionKey, periodId?: string) => RepLedger;
  readonly exceptionsAt: (key: PositionKey) => readonly CalculationException[];
  /** Facts recorded for the rep in (afterPosition, throughPosition], with the quota periods each touched. */
  readonly lateFactsOf: (
    repId: string,
    afterPosition: number,
    throughPosition: number,
  ) => readonly (LateFact & { quotaPeriods: readonly string[] })[];
  readonly cacheGet: (repId: string, periodId: string, key: PositionKey) => Statement | undefined;
  readonly cacheSet: (repId: string, periodId: string, key: PositionKey, statement: Statement) => void;
}

/**
 * The statement stage: turns a rep's ledger into per-payout-period statements, applying close freezes,
 * prior-period adjustments and draws, carrying balances period to period.
 */
export class StatementCalculator {
  constructor(private readonly ports: CalculatorPorts) {}

  statement(repId: string, periodId: string, key: PositionKey): Statement {
    const cached = this.ports.cacheGet(repId, periodId, key);
    if (cached !== undefined) return cached;
    // Compute the uncached earlier periods of the chain oldest first, so that carrying a balance never
    // recurses more than one period deep, however long the rep's history.
    const calendar = this.ports.facts.calendar(this.ports.resolve(key));
    const chainStart = this.chainStart(
      repId,
      this.ports.ledgerAt(repId, key, periodId),
      this.ports.resolve(key),
    );
    const pending: Period[] = [];
    if (chainStart !== undefined) {
      for (
        let p = previousPeriod(calendar, parsePeriodId(calendar, periodId));
        p.start >= chainStart && this.ports.cacheGet(repId, p.id, key) === undefined;
        p = previousPeriod(calendar, p)
      ) {
        pending.push(p);
        if (pending.length > MAX_CHAIN_PERIODS) {
          throw new RangeError(
            `${repId}: more than ${MAX_CHAIN_PERIODS} periods from ${chainStart} to ${periodId}`,
          );
        }
      }
    }
    for (const p of pending.reverse()) this.ports.cacheSet(repId, p.id, key, this.compute(repId, p.id, key));
    const computed = this.compute(repId, periodId, key);
    this.ports.cacheSet(repId, periodId, key, computed);
    return computed;
  }

  /** Closes recorded through the position, their periods parsed in the calendar of that position. */
  closesAt(key: PositionKey): CloseRecord[] {
    const position = this.ports.resolve(key);
    const calendar = this.ports.facts.calendar(position);
    return this.ports.facts.closes(position).map((c) => ({
      period: parsePeriodId(calendar, c.period),
      // A close cannot be computed through itself; guard against a malformed one so the freeze terminates.
      throughPosition: Math.min(c.throughPosition, c.position - 1),
      eventId: c.eventId,
      position: c.position,
    }));
  }

  private compute(repId: string, periodId: string, key: PositionKey): Statement {
    const { facts } = this.ports;
    const position = this.ports.resolve(key);
    const calendar = facts.calendar(position);
    const period = parsePeriodId(calendar, periodId);
    const closes = this.closesAt(key);
    const close = closeCovering(closes, period);
    if (close !== undefined) {
      // Frozen: exactly what the close saw. Nothing recorded later changes it (DOMAIN §7).
      const frozen = this.statement(repId, periodId, close.throughPosition);
      return { ...frozen, closed: { eventId: close.eventId, position: close.position } };
    }
    const ledger = this.ports.ledgerAt(repId, key, periodId);
    const chainStart = this.chainStart(repId, ledger, position);
    const previous = previousPeriod(calendar, period);
    const hasPrevious = chainStart !== undefined && previous.start >= chainStart;
    const openingBalance = hasPrevious
      ? this.statement(repId, previous.id, key).closingBalance
      : ZERO_BALANCE;
    const native = this.linesIn(ledger, period);
    const setup = this.setupFor(repId, period, position, ledger, native);

    // Prior-period adjustments: for the run of closed periods right before this open one.
    const ppa: LedgerEntry[] = [];
    if (hasPrevious && chainStart !== undefined) {
      const run: { period: Period; close: CloseRecord }[] = [];
      for (let p = previous; p.start >= chainStart; p = previousPeriod(calendar, p)) {
        const c = closeCovering(closes, p);
        if (c === undefined) break;
        run.unshift({ period: p, close: c });
      }
      run.forEach(({ period: closedPeriod }, index) => {
        // Whatever was known at the latest close in the run is already in a frozen statement; only facts
        // recorded after it explain this correction.
        const knownThrough = Math.max(...run.slice(index).map((r) => r.close.throughPosition));
        const frozen = this.statement(repId, closedPeriod.id, key);
        const alreadyPosted = run
          .slice(index + 1)
          .flatMap(({ period: later }) =>
            this.statement(repId, later.id, key).entries.filter((e) => e.kind === "prior_period_adjustment"),
          );
        const adjustments = priorPeriodAdjustments({
          repId,
          closedPeriod: closedPeriod.id,
          targetPeriod: period.id,
          businessDate: period.start,
          currency: setup.currency,
          scale: setup.scale,
          frozen: frozen.entries,
          recomputed: this.linesIn(ledger, closedPeriod),
          alreadyPosted,
          lateFacts: this.lateFactsFor(repId, knownThrough, position, closedPeriod, calendar),
        });
        for (const adjustment of adjustments) ppa.push(adjustment);
      });
    }

    const beforeDraw = [...native, ...ppa];
    const earnings = sumAmounts(beforeDraw);
    const terms = setup.draw?.terms;
    const settlement = settleDraw(earnings, terms, openingBalance.drawDeficit);
    const draws =
      terms === undefined || setup.draw === undefined
        ? []
        : drawEntries(earnings, terms, settlement, {
            repId,
            period: period.id,
            businessDate: period.end,
            currency: setup.currency,
            scale: setup.scale,
            planId: setup.draw.plan.planId,
            planVersion: setup.draw.plan.version,
            sourceEventIds: setup.draw.sources.map((s) => s.eventId),
            positions: setup.draw.sources.map((s) => s.position),
          });

    const rank = (e: LedgerEntry): number =>
      ledger.lineIndex.get(e) ?? ledger.lines.length + (e.kind === "prior_period_adjustment" ? 0 : 1);
    const unsorted = [...native, ...ppa, ...draws];
    // Usually already in order (a period's own lines are kept in ledger order): check in one pass before
    // paying for a wrapper per line and a sort of a manager's tens of thousands of lines.
    const entries = inStatementOrder(unsorted, rank)
      ? unsorted
      : unsorted
          .map((e, index) => ({ e, r: rank(e), index }))
          .sort((a, b) =>
            a.e.businessDate < b.e.businessDate
              ? -1
              : a.e.businessDate > b.e.businessDate
                ? 1
                : a.r - b.r || a.index - b.index,
          )
          .map((x) => x.e);

    const plans = new Map<string, PlanRef>();
    for (const e of entries) {
      if (e.trace.planId !== undefined && e.trace.planVersion !== undefined) {
        plans.set(`${e.trace.planId}@${e.trace.planVersion}`, {
          planId: e.trace.planId,
          version: e.trace.planVersion,
        });
      }
    }
    if (setup.draw !== undefined)
      plans.set(`${setup.draw.plan.planId}@${setup.draw.plan.version}`, setup.draw.plan);

    return assembleStatement({
      repId,
      period: period.id,
      currency: setup.currency,
      scale: setup.scale,
      throughPosition: position,
      plans: [...plans.values()].sort((a, b) =>
        a.planId < b.planId ? -1 : a.planId > b.planId ? 1 : a.version - b.version,
      ),
      openingBalance,
      entries,
      attainment: this.attainmentFor(ledger, period),
      exceptions: [
        ...this.exceptionsFor(repId, period, key, ledger),
        ...currencyExceptions(repId, period, setup.currency, entries),
      ],
      drawDeficitClosing: settlement.deficitClosing,
    });
  }

  /** The rep's own lines paid in a payout period (any line whose payout period lies inside it). */
  linesIn(ledger: RepLedger, period: Period): LedgerEntry[] {
    const out: LedgerEntry[] = [];
    for (const [id, lines] of ledger.linesByPeriod) {
      const p = ledger.periods.get(id);
      if (p !== undefined && within(p, period)) for (const line of lines) out.push(line);
    }
    // Keep ledger order (business time), whatever order the map held the period ids in (one period's
    // lines, the usual case, already are).
    if (inLedgerOrder(out, ledger)) return out;
    return out.sort((a, b) => (ledger.lineIndex.get(a) ?? 0) - (ledger.lineIndex.get(b) ?? 0));
  }

  /**
   * First day of the rep's chain of payout periods: the earliest of their hire date and any line's period.
   * Balances are carried from there on.
   */
  private chainStart(repId: string, ledger: RepLedger, position: number): string | undefined {
    let start: string | undefined;
    const rep = this.ports.facts.rep(repId, position);
    if (rep !== undefined) start = rep.hireDate;
    for (const p of ledger.periods.values()) if (start === undefined || p.start < start) start = p.start;
    return start;
  }

  private setupFor(
    repId: string,
    period: Period,
    position: number,
    ledger: RepLedger,
    native: readonly LedgerEntry[],
  ): {
    currency: string;
    scale: number;
    draw?: { terms: DrawTerms; plan: PlanRef; sources: { eventId: string; position: number }[] };
  } {
    const { facts } = this.ports;
    const rep = facts.rep(repId, position);
    const plan = facts.planFor(repId, period.end, position) ?? facts.planFor(repId, period.start, position);
    const currency =
      rep?.planCurrency ??
      plan?.compiled.currency ??
      native[0]?.currency ??
      ledger.lines[0]?.currency ??
      "USD";
    const scale =
      plan !== undefined && plan.compiled.currency === currency
        ? plan.compiled.rounding.scale
        : minorUnits(currency);
    if (plan === undefined || plan.compiled.payoutPeriod !== period.kind) return { currency, scale };
    if (
      rep !== undefined &&
      (rep.hireDate > period.end || (rep.terminationDate !== undefined && rep.terminationDate < period.start))
    ) {
      return { currency, scale };
    }
    const component = plan.compiled.components.find((c) => c.kind === "draw");
    if (component === undefined || component.kind !== "draw") return { currency, scale };
    const mode: RoundingMode = plan.compiled.rounding.mode;
    const terms: DrawTerms = {
      componentId: component.id,
      amount: roundDecimal(component.amount, scale, mode),
      recoverable: component.recoverable,
      ...(component.recoveryCapPerPeriod === undefined
        ? {}
        : { recoveryCapPerPeriod: roundDecimal(component.recoveryCapPerPeriod, scale, mode) }),
    };
    const sources = [
      { eventId: plan.published.eventId, position: plan.published.position },
      { eventId: plan.assignment.eventId, position: plan.assignment.position },
    ].sort((a, b) => a.position - b.position);
    return {
      currency,
      scale,
      draw: { terms, plan: { planId: plan.plan.planId, version: plan.plan.version }, sources },
    };
  }

  private attainmentFor(ledger: RepLedger, period: Period): StatementAttainment[] {
    const out: StatementAttainment[] = [];
    for (const qp of ledger.quotaPeriods) {
      if (!overlaps(parsePeriodId(ledger.calendar, qp.quotaPeriod), period)) continue;
      out.push({
        quotaPeriod: qp.quotaPeriod,
        credit: qp.attainment.credit,
        ...(qp.attainment.quota === undefined ? {} : { quota: qp.attainment.quota }),
        ...(qp.attainment.ratio === undefined ? {} : { ratio: qp.attainment.ratio }),
      });
    }
    return out.sort((a, b) => (a.quotaPeriod < b.quotaPeriod ? -1 : a.quotaPeriod > b.quotaPeriod ? 1 : 0));
  }

  private exceptionsFor(
    repId: string,
    period: Period,
    key: PositionKey,
    ledger: RepLedger,
  ): CalculationException[] {
    return statementExceptions({
      repId,
      period,
      calendar: ledger.calendar,
      quotaPeriods: ledger.quotaPeriods,
      companyWide: this.ports.exceptionsAt(key),
      openDisputes: this.ports.facts.openDisputes(repId, this.ports.resolve(key)),
    });
  }

  private lateFactsFor(
    repId: string,
    after: number,
    through: number,
    closedPeriod: Period,
    calendar: CompanyCalendar,
  ): LateFact[] {
    const all = this.ports.lateFactsOf(repId, after, through);
    const touching = all.filter((f) =>
      f.quotaPeriods.some((qp) => {
        try {
          return overlaps(parsePeriodId(calendar, qp), closedPeriod);
        } catch {
          return true;
        }
      }),
    );
    return (touching.length > 0 ? touching : all).map((f) => ({ eventId: f.eventId, position: f.position }));
  }
}

/** Whether sorting by (business date, rank), stable, would leave the lines where they are. */
function inStatementOrder(lines: readonly LedgerEntry[], rank: (e: LedgerEntry) => number): boolean {
  for (let i = 1; i < lines.length; i += 1) {
    const a = lines[i - 1] as LedgerEntry;
    const b = lines[i] as LedgerEntry;
    if (a.businessDate < b.businessDate) continue;
    if (a.businessDate > b.businessDate || rank(a) > rank(b)) return false;
  }
  return true;
}

/** Whether sorting by ledger index, stable, would leave the lines where they are. */
function inLedgerOrder(lines: readonly LedgerEntry[], ledger: RepLedger): boolean {
  let previous = Number.NEGATIVE_INFINITY;
  for (const line of lines) {
    const index = ledger.lineIndex.get(line) ?? 0;
    if (index < previous) return false;
    previous = index;
  }
  return true;
}

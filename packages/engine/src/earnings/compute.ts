import { Decimal } from "@icm/events";
import { type Period, parsePeriodId, previousPeriod } from "../calendar/index.js";
import type { CompiledComponent, CompiledPlan, Facts } from "../facts/index.js";
import type { LedgerEntry } from "../ledger/types.js";
import { bonusReached } from "./bonus/bonus.js";
import { EarningsBuilder, type LineSpec, SortedSources } from "./builder.js";
import { EarningsCapLimiter } from "./cap/earnings-cap.js";
import { reversalSpecs } from "./clawback/clawback.js";
import { matchesFilter } from "./filter.js";
import { num, numOfFixed, pct, ratePct, roundAt } from "./format.js";
import { adjustmentItems, type CreditItem, compareItems, dealItems } from "./items.js";
import { overlayAmount, overlayItems } from "./overlay/overlay.js";
import { rollUpOverlayLines } from "./overlay/roll-up.js";
import { EMPTY_RATE_TABLE_STATE, RateTable, type RateTableState } from "./rate-table/run.js";
import { type PlanStretch, planStretches, quotaExceptions } from "./segments.js";
import { spiffAmount } from "./spiff/spiff.js";
import type { EarningsRequest, QuotaPeriodEarnings } from "./types.js";
import { EMPTY_YEAR_CARRY, startYtd, type YearCarry, type YtdCarry } from "./ytd/ytd.js";

const ZERO = new Decimal(0);
const END_OF_LOG = Number.MAX_SAFE_INTEGER;

interface Computed {
  readonly result: QuotaPeriodEarnings;
  readonly carry: YearCarry;
}

/**
 * Stage 1 for one (rep, quota period) as of a log position (DOMAIN.md §3–§4): the deals and quota-counting
 * adjustments of the period in business-time order with a running attainment per plan stretch, each
 * producing its own lines per component, plus overlays on reports' deals, non-quota adjustments and
 * original-rate clawbacks. Pure: the same facts through the same position give the same result.
 */
export function computeEarnings(facts: Facts, request: EarningsRequest): QuotaPeriodEarnings {
  const through = request.throughPosition ?? END_OF_LOG;
  return computeInternal(facts, request.repId, request.quotaPeriod, through, new Map()).result;
}

/**
 * Carries as of a position the facts have already passed never change (facts only arrive at later
 * positions), so they are shared between calls: year-to-date plans and yearly caps need the carry of the
 * earlier quota periods of the year, which the previous call of a ledger build just computed. Only the carry
 * is kept: the results (every line of the period) are the engine's to cache, and keeping them here too held
 * thousands of reps' lines alive. Bounded; cleared when full.
 */
/**
 * A rate-table line's inputs: the item's, then the step's, then its rounded amount, in that key order.
 * Not `{ ...item, ...step, [key]: value }`: V8 (Node 20) copies a second spread in a literal through a
 * slow runtime path, ~13 µs for these ~20 keys against ~0.4 µs for Object.assign (round 16: 5.9 s of a
 * default-size verify was this one expression). The keys are fixed names, never `__proto__`.
 */
function lineInputs(
  item: Readonly<Record<string, string>>,
  step: Readonly<Record<string, string>>,
  key: string,
  value: string,
): Record<string, string> {
  const inputs: Record<string, string> = Object.assign({}, item, step);
  inputs[key] = value;
  return inputs;
}

const SETTLED_LIMIT = 1024;
const settledByFacts = new WeakMap<Facts, { through: number; carries: Map<string, YearCarry> }>();

function settled(facts: Facts, through: number): Map<string, YearCarry> | undefined {
  if (through > facts.lastPosition) return undefined;
  let entry = settledByFacts.get(facts);
  if (entry === undefined || entry.through !== through) {
    entry = { through, carries: new Map() };
    settledByFacts.set(facts, entry);
  }
  return entry.carries;
}

function remember(
  facts: Facts,
  through: number,
  repId: string,
  memo: Map<string, Computed>,
  quotaPeriod: string,
  computed: Computed,
): void {
  memo.set(quotaPeriod, computed);
  const carries = settled(facts, through);
  if (carries === undefined) return;
  if (carries.size >= SETTLED_LIMIT) carries.clear();
  carries.set(`${repId}\u0000${quotaPeriod}`, computed.carry);
}

function needsYearCarry(plan: CompiledPlan): boolean {
  if (plan.cumulative === "ytd") return true;
  return plan.components.some((c) => "earningsCap" in c && c.earningsCap?.perYear !== undefined);
}

/** The carry from the previous quota period of the same fiscal year (year-to-date and yearly caps look back). */
function carryInto(
  facts: Facts,
  repId: string,
  period: Period,
  stretches: readonly PlanStretch[],
  through: number,
  memo: Map<string, Computed>,
): YearCarry {
  if (period.kind === "year" || !stretches.some((s) => needsYearCarry(s.plan))) return EMPTY_YEAR_CARRY;
  const previous = previousPeriod(facts.calendar(through), period);
  if (previous.fiscalYear !== period.fiscalYear) return EMPTY_YEAR_CARRY;
  return (
    memo.get(previous.id)?.carry ??
    settled(facts, through)?.get(`${repId}\u0000${previous.id}`) ??
    computeInternal(facts, repId, previous.id, through, memo).carry
  );
}

function computeInternal(
  facts: Facts,
  repId: string,
  quotaPeriod: string,
  through: number,
  memo: Map<string, Computed>,
): Computed {
  const cached = memo.get(quotaPeriod);
  if (cached !== undefined) return cached;
  const calendar = facts.calendar(through);
  const period = parsePeriodId(calendar, quotaPeriod);
  const builder = new EarningsBuilder(repId, period, calendar);
  const rep = facts.rep(repId, through);
  if (rep === undefined) {
    // Credit to a rep nobody onboarded is a period-level unknown_rep exception (periodExceptions).
    const empty: Computed = {
      result: {
        repId,
        quotaPeriod,
        plans: [],
        attainment: { credit: ZERO, quota: undefined, ratio: undefined },
        entries: [],
        exceptions: [],
      },
      carry: EMPTY_YEAR_CARRY,
    };
    remember(facts, through, repId, memo, quotaPeriod, empty);
    return empty;
  }
  const stretches = planStretches(facts, rep, period, through);
  const carryIn = carryInto(facts, repId, period, stretches, through, memo);
  const items = dealItems(facts, builder, stretches, through);
  const directAdjustments = adjustmentItems(facts, builder, stretches, through, items);

  const run = new PeriodRun(builder, carryIn);
  let credit = ZERO;
  let quota: Decimal | undefined = ZERO;
  for (const stretch of stretches) {
    const list = (items.get(stretch.index) ?? []).sort(compareItems);
    quotaExceptions(stretch, list.length > 0, builder);
    credit = credit.plus(run.ownItems(stretch, list));
    quota = quota === undefined || stretch.quota === undefined ? undefined : quota.plus(stretch.quota);
    run.overlays(facts, stretch, through);
  }
  if (stretches.length === 0) quota = undefined;
  for (const spec of directAdjustments) builder.line(spec);

  const plans = new Map<string, { planId: string; version: number }>();
  for (const s of stretches)
    plans.set(`${s.plan.planId}\u0000${String(s.plan.version).padStart(10, "0")}`, {
      planId: s.plan.planId,
      version: s.plan.version,
    });
  const result: QuotaPeriodEarnings = {
    repId,
    quotaPeriod,
    plans: [...plans.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v),
    attainment: { credit, quota, ratio: quota === undefined ? undefined : credit.div(quota) },
    entries: builder.sortedEntries(),
    exceptions: builder.exceptions(),
  };
  const computed = { result, carry: run.carryOut() };
  remember(facts, through, repId, memo, quotaPeriod, computed);
  return computed;
}

/** The mutable state of one quota-period computation: caps, bonuses paid, year-to-date runs. */
class PeriodRun {
  private readonly limiters = new Map<string, EarningsCapLimiter>();
  private readonly bonusesPaid = new Set<string>();
  private readonly ytd: Map<string, YtdCarry>;

  constructor(
    private readonly builder: EarningsBuilder,
    private readonly carryIn: YearCarry,
  ) {
    this.ytd = new Map(carryIn.ytd);
  }

  private limiter(component: CompiledComponent, plan: CompiledPlan): EarningsCapLimiter {
    let limiter = this.limiters.get(component.id);
    if (limiter === undefined) {
      const cap = "earningsCap" in component ? component.earningsCap : undefined;
      limiter = new EarningsCapLimiter(cap, this.carryIn.paid.get(component.id) ?? ZERO, plan.rounding.scale);
      this.limiters.set(component.id, limiter);
    }
    return limiter;
  }

  private round(plan: CompiledPlan, value: Decimal): Decimal {
    return roundAt(value, plan.rounding.scale, plan.rounding.mode);
  }

  carryOut(): YearCarry {
    const paid = new Map(this.carryIn.paid);
    for (const [id, limiter] of this.limiters) paid.set(id, (paid.get(id) ?? ZERO).plus(limiter.paidTotal));
    return { paid, ytd: new Map(this.ytd) };
  }

  /** Runs the stretch's own items through its components; returns the credit they added. */
  ownItems(stretch: PlanStretch, items: readonly CreditItem[]): Decimal {
    const plan = stretch.plan;
    const builder = this.builder;
    const tables = new Map<
      string,
      {
        table: RateTable | undefined;
        state: RateTableState;
        quota: Decimal;
        ytdItems: { credit: Decimal; matched: boolean }[] | undefined;
      }
    >();
    for (const component of plan.components) {
      if (component.kind !== "rate_table") continue;
      if (plan.cumulative === "ytd") {
        const started = startYtd(component, plan.planId, this.ytd.get(component.id), stretch.quota);
        tables.set(component.id, {
          table: started.table,
          state: started.state,
          quota: started.quota,
          ytdItems: started.items,
        });
      } else {
        const table = stretch.quota === undefined ? undefined : new RateTable(component, stretch.quota);
        tables.set(component.id, {
          table,
          state: EMPTY_RATE_TABLE_STATE,
          quota: stretch.quota ?? ZERO,
          ytdItems: undefined,
        });
      }
    }
    const commonSources = [stretch.published, stretch.assignmentSource, stretch.quotaFact];
    let credit = ZERO;
    // This item's attainment before is the previous item's after: format each level once.
    let beforeLabel: string | undefined;
    for (const item of items) {
      const before = credit;
      const after = credit.plus(item.credit);
      let attainment = "no quota";
      if (stretch.quota !== undefined) {
        const afterLabel = pct(after.div(stretch.quota));
        attainment = `attainment ${beforeLabel ?? pct(before.div(stretch.quota))} → ${afterLabel}`;
        beforeLabel = afterLabel;
      }
      const explanation = `${item.creditText}; ${attainment}`;
      const sourceKey = item.kind === "deal" ? `deal:${item.key}` : `adj:${item.key}`;
      const dealId = item.kind === "deal" ? item.deal.dealId : undefined;
      const own: { entry: LedgerEntry; sourceKey: string }[] = [];
      const itemInputs: Readonly<Record<string, string>> =
        item.kind === "deal"
          ? item.dealCredit.inputs
          : { adjustmentAmount: item.adjustment.amount.toFixed(), adjustmentPeriod: item.adjustment.period };
      // Every line of the item has the same sources: sorted once, shared by the lines' traces.
      const sources = new SortedSources([...item.sources, ...commonSources]);
      // `inputs` already starts with the item's own (one object per line, not a merge of two).
      const emit = (spec: Omit<LineSpec, "plan" | "sourceKey" | "businessDate" | "sources" | "dealId">) => {
        const entry = builder.line({
          kind: spec.kind,
          amount: spec.amount,
          plan,
          component: spec.component,
          sourceKey,
          businessDate: item.date,
          dealId,
          band: spec.band,
          sources,
          inputs: spec.inputs,
          arithmetic: spec.arithmetic,
          explanation: spec.explanation,
        });
        own.push({ entry, sourceKey });
      };
      for (const component of plan.components) {
        if (component.kind === "rate_table") {
          const run = tables.get(component.id);
          if (run === undefined) continue;
          const matched =
            item.kind === "deal"
              ? matchesFilter(component.filter, item.deal, item.date, item.dealCredit.amountInPlanCurrency)
              : component.filter === undefined;
          run.ytdItems?.push({ credit: item.credit, matched });
          if (run.table === undefined) continue;
          const step = run.table.step(run.state, item.credit, matched);
          run.state = step.state;
          const earningRounded = this.round(plan, step.earning);
          const trueUpRounded = this.round(plan, step.trueUp);
          const capped = this.limiter(component, plan).apply(earningRounded, trueUpRounded);
          const ytdNote = plan.cumulative === "ytd" ? ` (year to date against quota ${num(run.quota)})` : "";
          const capNote = capped.capped ? `; ${capped.note}` : "";
          const band = step.bandLabels.join(" + ");
          if (matched) {
            const gateNote =
              component.gate !== undefined && !step.gateOpen
                ? `; gate ${pct(component.gate.threshold)} not reached${component.gate.payFrom === "first_dollar" ? ", pay deferred" : ""}`
                : "";
            emit({
              kind: item.kind === "deal" ? "earning" : "adjustment",
              amount: capped.earning,
              component: component.id,
              band,
              inputs: lineInputs(itemInputs, step.inputs, "earningRounded", earningRounded.toFixed()),
              arithmetic: `${step.earningText} = ${num(earningRounded)}${capped.capped ? ` → ${num(capped.earning)} (capped)` : ""}`,
              explanation: `${explanation}${ytdNote}${gateNote}${capNote}`,
            });
          }
          if (!capped.trueUp.isZero() || (!step.trueUp.isZero() && capped.capped)) {
            emit({
              kind: "true_up",
              amount: capped.trueUp,
              component: component.id,
              band,
              inputs: lineInputs(itemInputs, step.inputs, "trueUpRounded", trueUpRounded.toFixed()),
              arithmetic: `${step.trueUpText} = ${num(trueUpRounded)}${capped.capped ? ` → ${num(capped.trueUp)} (capped)` : ""}`,
              explanation: `${explanation}${ytdNote}: re-rates credit earned before this ${item.kind}${capNote}`,
            });
          }
        } else if (component.kind === "bonus") {
          if (stretch.quota === undefined) continue;
          const reached = after.div(stretch.quota);
          if (!bonusReached(component, reached, this.bonusesPaid.has(component.id))) continue;
          this.bonusesPaid.add(component.id);
          emit({
            kind: "bonus",
            amount: component.amount,
            component: component.id,
            band: `≥ ${pct(component.attainmentLevel)}`,
            inputs: {
              ...itemInputs,
              attainmentAfter: reached.toFixed(),
              level: component.attainmentLevel.toFixed(),
              amount: component.amount.toFixed(),
            },
            arithmetic: `${num(component.amount)} once at ${pct(component.attainmentLevel)} attainment`,
            explanation: `${explanation}: reaches ${pct(component.attainmentLevel)}, ${component.name} paid once this period`,
          });
        } else if (component.kind === "spiff") {
          if (item.kind !== "deal") continue;
          if (!matchesFilter(component.filter, item.deal, item.date, item.dealCredit.amountInPlanCurrency))
            continue;
          const { amount, arithmetic } = spiffAmount(component, item.credit, item.dealCredit.share);
          const rounded = this.round(plan, amount);
          const capped = this.limiter(component, plan).apply(rounded, ZERO);
          emit({
            kind: "spiff",
            amount: capped.earning,
            component: component.id,
            inputs: {
              ...itemInputs,
              credit: item.dealCredit.creditText,
              share: item.dealCredit.share.toFixed(),
              amountUnrounded: amount.toFixed(),
            },
            arithmetic: `${arithmetic} = ${num(rounded)}${capped.capped ? ` → ${num(capped.earning)} (capped)` : ""}`,
            explanation: `${item.creditText}: qualifies for ${component.name}${capped.capped ? `; ${capped.note}` : ""}`,
          });
        }
      }
      credit = after;
      if (item.kind === "deal" && item.clawback.kind === "original_rate") {
        for (const spec of reversalSpecs(own, item.clawback, plan)) builder.line(spec);
      }
    }
    for (const [id, run] of tables) {
      if (run.ytdItems !== undefined)
        this.ytd.set(id, { planId: plan.planId, quota: run.quota, items: run.ytdItems, state: run.state });
    }
    return credit;
  }

  /**
   * Overlay lines of the stretch: rate × each report's credit, through the chain effective on the deal date;
   * one line per deal, or per report and payout period when the component says `per_report`.
   */
  overlays(facts: Facts, stretch: PlanStretch, through: number): void {
    const plan = stretch.plan;
    for (const component of plan.components) {
      if (component.kind !== "overlay") continue;
      const limiter = this.limiter(component, plan);
      if (component.lines === "per_report") {
        rollUpOverlayLines(facts, this.builder, stretch, component, through, limiter);
        continue;
      }
      // One line per deal of the manager's organisation: format what is the same for every line once.
      const rateText = component.rate.toFixed();
      const rateLabel = ratePct(component.rate);
      for (const item of overlayItems(facts, this.builder, stretch, component, through)) {
        const unrounded = overlayAmount(component, item.dealCredit.credit);
        const rounded = this.round(plan, unrounded);
        const capped = limiter.apply(rounded, ZERO);
        const sourceKey = `deal:${item.deal.dealId}:${item.reportId}`;
        const creditText = item.dealCredit.creditText;
        const creditLabel = numOfFixed(creditText);
        const entry = this.builder.line({
          kind: "overlay",
          amount: capped.earning,
          plan,
          component: component.id,
          sourceKey,
          businessDate: item.date,
          dealId: item.deal.dealId,
          sources: [...item.sources, stretch.published, stretch.assignmentSource],
          inputs: {
            ...item.dealCredit.inputs,
            reportId: item.reportId,
            depth: String(item.depth),
            credit: creditText,
            rate: rateText,
            amountUnrounded: unrounded.toFixed(),
          },
          arithmetic: `${creditLabel} × ${rateLabel} = ${num(rounded)}${capped.capped ? ` → ${num(capped.earning)} (capped)` : ""}`,
          explanation: `Overlay on ${item.reportId}'s deal ${item.deal.dealId} (${item.depth === 1 ? "direct report" : `${item.depth} levels down`} on ${item.date}): ${item.dealCredit.arithmetic} → ${creditLabel} credit${capped.capped ? `; ${capped.note}` : ""}`,
        });
        if (item.clawback.kind === "original_rate") {
          for (const spec of reversalSpecs([{ entry, sourceKey }], item.clawback, plan))
            this.builder.line(spec);
        }
      }
    }
  }
}

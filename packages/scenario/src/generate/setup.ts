import { Decimal, type DomainEvent, type EventMetadata, formatDecimal, makeEvent } from "@icm/events";
import { FX_QUOTE, fxPublications } from "../fx/fx.js";
import type { Org, Person } from "../org/org.js";
import type { ScenarioPlanVersion } from "../plans/plans.js";
import { substream } from "../random/prng.js";
import { addDays, nextWeekday, type Quarter } from "../time/dates.js";
import type { ResolvedOptions } from "./options.js";

/**
 * The slow-moving facts of a scenario: set-up (calendar, FX series, plans, the starting organisation with
 * plan assignments and quotas) and the organisation's own timeline (hires, manager changes, a departure,
 * adjustments). Small — a few events per person and quarter — so they are built as lists.
 */

export const source = (name: string, extra: EventMetadata = {}): EventMetadata => ({
  source: name,
  ...extra,
});

/** A person's onboarding, plan assignments and quotas. */
export function orgEvents(person: Person, quarters: readonly Quarter[]): DomainEvent[] {
  const events: DomainEvent[] = [
    makeEvent(
      "RepOnboarded",
      `${person.repId}-onboarded`,
      {
        repId: person.repId,
        name: person.name,
        planCurrency: FX_QUOTE,
        hireDate: person.hireDate,
        managerId: person.managerId,
        email: person.email,
      },
      source("hris"),
    ),
  ];
  for (const spell of person.plans) {
    events.push(
      makeEvent(
        "PlanAssigned",
        `assign-${person.repId}-${spell.planId}-v${spell.version}`,
        {
          repId: person.repId,
          planId: spell.planId,
          version: spell.version,
          effectiveFrom: spell.effectiveFrom,
          ...(spell.effectiveTo === null ? {} : { effectiveTo: spell.effectiveTo }),
        },
        source("comp-admin"),
      ),
    );
  }
  for (const quarter of quarters) {
    const amount = person.quotas.get(quarter.id);
    if (amount === undefined) continue;
    events.push(
      makeEvent(
        "QuotaSet",
        `quota-${person.repId}-${quarter.id}`,
        { repId: person.repId, period: quarter.id, amount: formatDecimal(amount, 2), currency: FX_QUOTE },
        source("comp-admin"),
      ),
    );
  }
  return events;
}

/** Everything recorded before the first business day, in import order. */
export function setupEvents(
  o: ResolvedOptions,
  quarters: readonly Quarter[],
  plans: readonly ScenarioPlanVersion[],
  org: Org,
): DomainEvent[] {
  const first = quarters[0] as Quarter;
  const last = quarters[quarters.length - 1] as Quarter;
  const events: DomainEvent[] = [];
  events.push(
    makeEvent(
      "CalendarConfigured",
      "calendar-configured",
      { timeZone: o.timeZone, fiscalYearStartMonth: 1, effectiveFrom: `${first.year}-01-01` },
      source("comp-admin"),
    ),
  );
  for (const rate of fxPublications(
    substream(o.seed, "fx"),
    o.currencies,
    first.first,
    last.last,
    o.fxCadence,
  )) {
    events.push(
      makeEvent(
        "FxRatePublished",
        `fx-${rate.base}-${rate.quote}-${rate.effectiveDate}`,
        rate,
        source("treasury-fx-feed"),
      ),
    );
  }
  for (const plan of plans) {
    events.push(
      makeEvent(
        "PlanVersionPublished",
        `plan-${plan.planId}-v${plan.version}`,
        {
          planId: plan.planId,
          version: plan.version,
          name: plan.name,
          definition: plan.definition as unknown as Record<string, unknown>,
        },
        source("comp-admin"),
      ),
    );
  }
  const startingStaff = org.people.filter((p) => !p.hiredDuringScenario);
  // People (leaders before the people reporting to them: org.people is in that order), then plan
  // assignments, then quotas: the order an HR import and a comp-admin import would arrive in.
  const setupOrg = startingStaff.map((person) => orgEvents(person, quarters));
  for (const kind of ["RepOnboarded", "PlanAssigned", "QuotaSet"] as const) {
    for (const personEvents of setupOrg)
      for (const event of personEvents) if (event.type === kind) events.push(event);
  }

  return events;
}

export interface TimelineEvent {
  readonly event: DomainEvent;
  /** The business date it is recorded on. */
  readonly logDate: string;
}

/** Hires, manager changes, departures and adjustments, each with the date it enters the log. */
export function timelineEvents(o: ResolvedOptions, quarters: readonly Quarter[], org: Org): TimelineEvent[] {
  const items: TimelineEvent[] = [];
  const timeline = { push: (event: DomainEvent, logDate: string) => items.push({ event, logDate }) };
  const startingStaff = org.people.filter((p) => !p.hiredDuringScenario);
  for (const person of org.people.filter((p) => p.hiredDuringScenario)) {
    for (const event of orgEvents(person, quarters)) timeline.push(event, person.hireDate);
  }
  org.managerChanges.forEach((change, index) => {
    timeline.push(
      makeEvent(
        "RepManagerChanged",
        `${change.repId}-manager-change-${index + 1}`,
        { repId: change.repId, managerId: change.managerId, effectiveDate: change.effectiveDate },
        source("hris"),
      ),
      change.effectiveDate,
    );
  });
  for (const leaver of org.terminations) {
    timeline.push(
      makeEvent(
        "RepTerminated",
        `${leaver.repId}-terminated`,
        { repId: leaver.repId, terminationDate: leaver.terminationDate, reason: "Resigned" },
        source("hris"),
      ),
      leaver.terminationDate,
    );
  }
  const adjustments = substream(o.seed, "adjustments");
  const leavers = new Set(org.terminations.map((t) => t.repId));
  const coreReps = startingStaff.filter(
    (p) => p.role === "rep" && p.plans[0]?.plan === "core" && !leavers.has(p.repId),
  );
  for (const quarter of quarters) {
    const quotaRep = adjustments.pick(coreReps);
    // A tenth of the rep's quota, in whole thousands: the size of a typical partner-sourced deal.
    const quota = quotaRep.quotas.get(quarter.id) ?? new Decimal(100_000);
    const credit = quota.div(10_000).toDecimalPlaces(0, Decimal.ROUND_HALF_EVEN).times(1_000);
    timeline.push(
      makeEvent(
        "AdjustmentRecorded",
        `adjustment-${quarter.id}-1`,
        {
          adjustmentId: `ADJ-${quarter.id}-1`,
          repId: quotaRep.repId,
          period: quarter.id,
          amount: formatDecimal(credit, 2),
          currency: FX_QUOTE,
          reason: "Partner-sourced deal credited manually (missing from the CRM export)",
          author: "comp-ops@example.com",
          countsTowardQuota: true,
        },
        source("comp-admin"),
      ),
      nextWeekday(addDays(quarter.first, 50)),
    );
    const payoutRep = adjustments.pick(coreReps);
    const [amount, reason] = adjustments.pick([
      ["500.00", "Sales contest prize"],
      ["-250.00", "Expense reimbursement paid through commissions in error, reversed"],
      ["1000.00", "Customer reference bonus approved by the CRO"],
    ] as const);
    timeline.push(
      makeEvent(
        "AdjustmentRecorded",
        `adjustment-${quarter.id}-2`,
        {
          adjustmentId: `ADJ-${quarter.id}-2`,
          repId: payoutRep.repId,
          period: quarter.months[2] as string,
          amount,
          currency: FX_QUOTE,
          reason,
          author: "comp-ops@example.com",
          countsTowardQuota: false,
        },
        source("comp-admin"),
      ),
      nextWeekday(addDays(quarter.first, 70)),
    );
  }

  return items;
}

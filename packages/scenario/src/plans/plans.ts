import type { PlanDefinition } from "@icm/engine";
import { addDays, type Quarter } from "../time/dates.js";

/**
 * The scenario's compensation plans: five plans that together exercise most of the plan language
 * (packages/engine/src/plan/types.ts), shaped like a typical SaaS sales organisation. All plans pay in USD;
 * deals in EUR, GBP and JPY are converted at the close-date rate.
 *
 * | plan            | who                   | what it exercises                                                                 |
 * | --------------- | --------------------- | --------------------------------------------------------------------------------- |
 * | ae-core         | account executives    | marginal tiers via multipliers (accelerators; v2 adds a decelerator), annual      |
 * |                 |                       | earnings cap, bonus, SPIFF on a product in a date window, clawback by recompute   |
 * | ae-enterprise   | enterprise AEs        | retroactive table, gate (first dollar), attainment cap, per-period earnings cap,  |
 * |                 |                       | non-recoverable draw, year-to-date true-up, clawback at the original rate         |
 * | ae-new-hire     | AEs in their ramp     | marginal explicit rates, recoverable draw with a per-period recovery cap          |
 * | csm-collections | customer success      | margin measure, pay on collection with holdback, rate SPIFF, deal-type filter     |
 * | mgr-overlay     | managers and above    | overlay on rolled-up credit (one line per report), team bonus                     |
 */

export const PLAN_IDS = {
  core: "ae-core",
  enterprise: "ae-enterprise",
  newHire: "ae-new-hire",
  collections: "csm-collections",
  overlay: "mgr-overlay",
} as const;
export type PlanKey = keyof typeof PLAN_IDS;

export interface ScenarioPlanVersion {
  readonly planId: string;
  readonly version: number;
  readonly name: string;
  readonly definition: PlanDefinition;
  /** First date the version is assigned from. */
  readonly effectiveFrom: string;
  /** Last date it is assigned to, or null while it is current. */
  readonly effectiveTo: string | null;
}

const ROUNDING = { mode: "HALF_EVEN", scale: 2 } as const;

/** The product a SPIFF promotes, and the deal types customer success sells. */
export const SPIFF_PRODUCT = "analytics";
export const SERVICES_PRODUCT = "services";
export const CSM_DEAL_TYPES = ["renewal", "expansion"] as const;

function coreV1(quarter: Quarter): PlanDefinition {
  return {
    currency: "USD",
    rounding: ROUNDING,
    quotaPeriod: "quarter",
    payoutPeriod: "month",
    measure: "amount",
    cumulative: "period",
    paymentTiming: { kind: "on_close" },
    clawback: { windowDays: 90, method: "recompute" },
    components: [
      {
        kind: "rate_table",
        id: "commission",
        name: "Commission",
        method: "marginal",
        targetIncentive: "30000",
        bands: [
          { from: "0", to: "1", multiplier: "1" },
          { from: "1", to: "1.5", multiplier: "1.5" },
          { from: "1.5", to: null, multiplier: "2" },
        ],
        earningsCap: { perYear: "400000" },
      },
      {
        kind: "bonus",
        id: "club-pace",
        name: "President's Club pace bonus",
        attainmentLevel: "1.25",
        amount: "5000",
      },
      spiff(quarter),
    ],
  };
}

/** The SPIFF runs for the second month of a quarter: a product launch push. */
function spiff(quarter: Quarter) {
  const month = quarter.months[1] as string;
  const nextMonthFirst = `${quarter.months[2] as string}-01`;
  return {
    kind: "spiff" as const,
    id: "analytics-launch",
    name: `${SPIFF_PRODUCT} launch SPIFF`,
    filter: {
      products: [SPIFF_PRODUCT],
      closeDateFrom: `${month}-01`,
      closeDateTo: addDays(nextMonthFirst, -1),
    },
    payout: { kind: "fixed" as const, amount: "750" },
    earningsCap: { perPeriod: "7500" },
  };
}

/** Version 2 from the second quarter: a decelerator below half of quota, a steeper top band, a new SPIFF window. */
function coreV2(quarter: Quarter): PlanDefinition {
  const v1 = coreV1(quarter);
  return {
    ...v1,
    components: [
      {
        kind: "rate_table",
        id: "commission",
        name: "Commission",
        method: "marginal",
        targetIncentive: "30000",
        bands: [
          { from: "0", to: "0.5", multiplier: "0.5" },
          { from: "0.5", to: "1", multiplier: "1" },
          { from: "1", to: "1.5", multiplier: "1.5" },
          { from: "1.5", to: null, multiplier: "2.2" },
        ],
        earningsCap: { perYear: "400000" },
      },
      ...v1.components.slice(1, 2),
      spiff(quarter),
    ],
  };
}

function enterprise(): PlanDefinition {
  return {
    currency: "USD",
    rounding: ROUNDING,
    quotaPeriod: "quarter",
    payoutPeriod: "quarter",
    measure: "amount",
    cumulative: "ytd",
    paymentTiming: { kind: "on_close" },
    clawback: { windowDays: 180, method: "original_rate" },
    components: [
      {
        kind: "rate_table",
        id: "commission",
        name: "Enterprise commission",
        method: "retroactive",
        bands: [
          { from: "0", to: "0.75", rate: "0.06" },
          { from: "0.75", to: "1", rate: "0.08" },
          { from: "1", to: null, rate: "0.12" },
        ],
        gate: { threshold: "0.4", payFrom: "first_dollar" },
        attainmentCap: "2",
        earningsCap: { perPeriod: "150000" },
      },
      { kind: "draw", id: "guarantee", name: "Quarterly guarantee", amount: "4000", recoverable: false },
    ],
  };
}

function newHire(): PlanDefinition {
  return {
    currency: "USD",
    rounding: ROUNDING,
    quotaPeriod: "quarter",
    payoutPeriod: "month",
    measure: "amount",
    cumulative: "period",
    paymentTiming: { kind: "on_close" },
    clawback: { windowDays: 90, method: "recompute" },
    components: [
      {
        kind: "rate_table",
        id: "commission",
        name: "Ramp commission",
        method: "marginal",
        bands: [
          { from: "0", to: "1", rate: "0.08" },
          { from: "1", to: null, rate: "0.12" },
        ],
      },
      {
        kind: "draw",
        id: "ramp-draw",
        name: "Ramp draw",
        amount: "3000",
        recoverable: true,
        recoveryCapPerPeriod: "1500",
      },
    ],
  };
}

function collections(): PlanDefinition {
  return {
    currency: "USD",
    rounding: ROUNDING,
    quotaPeriod: "quarter",
    payoutPeriod: "month",
    measure: "margin",
    cumulative: "period",
    paymentTiming: { kind: "on_collection", holdback: { fraction: "0.1", releaseAfterDays: 60 } },
    clawback: { windowDays: 120, method: "original_rate" },
    components: [
      {
        kind: "rate_table",
        id: "commission",
        name: "Renewal and expansion commission",
        method: "marginal",
        bands: [
          { from: "0", to: "1", rate: "0.05" },
          { from: "1", to: null, rate: "0.07" },
        ],
        filter: { dealTypes: [...CSM_DEAL_TYPES] },
      },
      {
        kind: "spiff",
        id: "services-attach",
        name: "Services attach SPIFF",
        filter: { products: [SERVICES_PRODUCT] },
        payout: { kind: "rate", rate: "0.02" },
      },
    ],
  };
}

function overlay(): PlanDefinition {
  return {
    currency: "USD",
    rounding: ROUNDING,
    quotaPeriod: "quarter",
    payoutPeriod: "quarter",
    measure: "amount",
    cumulative: "period",
    paymentTiming: { kind: "on_close" },
    clawback: { windowDays: 90, method: "recompute" },
    components: [
      {
        kind: "overlay",
        id: "team-overlay",
        name: "Team overlay",
        rate: "0.015",
        // A leader reviews the team per rep, not per deal: a VP of 10,000 reps would get a line per deal of a
        // million (docs/statement-decisions.md, "Overlay lines per report").
        lines: "per_report",
        earningsCap: { perPeriod: "60000" },
      },
      { kind: "bonus", id: "team-target", name: "Team target bonus", attainmentLevel: "1", amount: "10000" },
    ],
  };
}

/**
 * Every plan version of a scenario over `quarters`. ae-core gets a second version from the second quarter
 * (when there is one), so the history has a mid-year plan change.
 */
export function scenarioPlans(quarters: readonly Quarter[]): ScenarioPlanVersion[] {
  const first = quarters[0];
  if (first === undefined) throw new RangeError("a scenario needs at least one quarter");
  const second = quarters[1];
  const span = { effectiveFrom: first.first, effectiveTo: null };
  const core: ScenarioPlanVersion[] = [
    {
      planId: PLAN_IDS.core,
      version: 1,
      name: "Account Executive",
      definition: coreV1(first),
      effectiveFrom: first.first,
      effectiveTo: second === undefined ? null : first.last,
    },
  ];
  if (second !== undefined) {
    core.push({
      planId: PLAN_IDS.core,
      version: 2,
      name: "Account Executive",
      definition: coreV2(second),
      effectiveFrom: second.first,
      effectiveTo: null,
    });
  }
  return [
    ...core,
    {
      planId: PLAN_IDS.enterprise,
      version: 1,
      name: "Enterprise Account Executive",
      definition: enterprise(),
      ...span,
    },
    { planId: PLAN_IDS.newHire, version: 1, name: "New-hire ramp", definition: newHire(), ...span },
    {
      planId: PLAN_IDS.collections,
      version: 1,
      name: "Customer Success",
      definition: collections(),
      ...span,
    },
    {
      planId: PLAN_IDS.overlay,
      version: 1,
      name: "Sales management overlay",
      definition: overlay(),
      ...span,
    },
  ];
}

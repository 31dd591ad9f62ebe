import type { PlanDefinition } from "./types.js";

/**
 * The plan of DOMAIN.md §8 as data: quota per quarter, marginal bands 0–100% at 10%, 100–150% at 15%,
 * above 150% at 20%. The smallest useful plan, for tests and examples.
 */
export const SECTION_8_PLAN: PlanDefinition = {
  currency: "USD",
  rounding: { mode: "HALF_EVEN", scale: 2 },
  quotaPeriod: "quarter",
  payoutPeriod: "month",
  measure: "amount",
  cumulative: "period",
  paymentTiming: { kind: "on_close" },
  components: [
    {
      kind: "rate_table",
      id: "commission",
      name: "Commission",
      method: "marginal",
      bands: [
        { from: "0", to: "1", rate: "0.10" },
        { from: "1", to: "1.5", rate: "0.15" },
        { from: "1.5", to: null, rate: "0.20" },
      ],
    },
  ],
};

/**
 * The complete example of docs/plan-language.md: tiers with an accelerator, a cap, a SPIFF, an overlay
 * and a recoverable draw. Kept here so a test proves the documented plan is valid.
 */
export const COMPLETE_EXAMPLE_PLAN: PlanDefinition = {
  currency: "USD",
  rounding: { mode: "HALF_EVEN", scale: 2 },
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
      name: "New business commission",
      method: "marginal",
      bands: [
        { from: "0", to: "1", rate: "0.10" },
        { from: "1", to: "1.5", rate: "0.15" },
        { from: "1.5", to: null, rate: "0.20" },
      ],
      attainmentCap: "3",
      earningsCap: { perPeriod: "60000.00" },
    },
    {
      kind: "spiff",
      id: "widget-spiff",
      name: "Widget launch SPIFF",
      filter: {
        products: ["Widget"],
        dealTypes: ["new"],
        closeDateFrom: "2026-01-01",
        closeDateTo: "2026-03-31",
      },
      payout: { kind: "fixed", amount: "500.00" },
    },
    {
      kind: "overlay",
      id: "team-overlay",
      name: "Team overlay",
      rate: "0.02",
      maxDepth: 2,
    },
    {
      kind: "draw",
      id: "ramp-draw",
      name: "Ramp draw",
      amount: "5000.00",
      recoverable: true,
      recoveryCapPerPeriod: "2500.00",
    },
  ],
};

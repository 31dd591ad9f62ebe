import { type PlanDefinition, SECTION_8_PLAN } from "@icm/engine";
import { type DomainEvent, makeEvent } from "@icm/events";

/**
 * A small, deterministic company history for pipeline tests and smoke runs: one calendar, an EUR→USD rate,
 * one marginal plan (DOMAIN.md §8 bands), reps with quarterly quotas, and deals with one or two splits, some
 * in EUR and a few cancelled. Same options → the same events, byte for byte (seeded PRNG, no clock).
 */
export interface SampleHistoryOptions {
  readonly reps: number;
  readonly deals: number;
  readonly seed?: number;
  /** Every n-th deal is later cancelled (0 = none). */
  readonly cancelEvery?: number;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pad = (n: number, width: number) => String(n).padStart(width, "0");
export const sampleRepId = (index: number) => `R-${pad(index, 4)}`;

/** DOMAIN.md §8's plan, with a 90-day clawback by recompute so cancellations change statements. */
export const SAMPLE_PLAN_DEFINITION: PlanDefinition = {
  ...SECTION_8_PLAN,
  clawback: { windowDays: 90, method: "recompute" },
};

export function sampleHistory(options: SampleHistoryOptions): DomainEvent[] {
  const random = mulberry32(options.seed ?? 1);
  const pick = (n: number) => Math.floor(random() * n);
  const events: DomainEvent[] = [
    makeEvent("CalendarConfigured", "calendar-1", {
      timeZone: "UTC",
      fiscalYearStartMonth: 1,
      effectiveFrom: "2026-01-01",
    }),
    makeEvent("FxRatePublished", "fx-eur-usd-1", {
      base: "EUR",
      quote: "USD",
      rate: "1.0850",
      effectiveDate: "2025-12-31",
    }),
    makeEvent("PlanVersionPublished", "plan-ae-v1", {
      planId: "AE",
      version: 1,
      name: "Account executive",
      definition: SAMPLE_PLAN_DEFINITION as unknown as Record<string, unknown>,
    }),
  ];
  for (let r = 0; r < options.reps; r += 1) {
    const repId = sampleRepId(r);
    events.push(
      makeEvent("RepOnboarded", `${repId}-onboarded`, {
        repId,
        name: `Rep ${r}`,
        planCurrency: "USD",
        hireDate: "2025-06-01",
      }),
      makeEvent("PlanAssigned", `${repId}-assigned`, {
        repId,
        planId: "AE",
        version: 1,
        effectiveFrom: "2026-01-01",
      }),
    );
    for (const quarter of ["2026-Q1", "2026-Q2"]) {
      events.push(
        makeEvent("QuotaSet", `${repId}-quota-${quarter}`, {
          repId,
          period: quarter,
          amount: "100000.00",
          currency: "USD",
        }),
      );
    }
  }
  const cancelEvery = options.cancelEvery ?? 0;
  for (let d = 0; d < options.deals; d += 1) {
    const dealId = `D-${pad(d, 6)}`;
    const first = sampleRepId(pick(options.reps));
    const second = sampleRepId(pick(options.reps));
    const splits =
      first === second || random() < 0.7
        ? [{ repId: first, share: "1" }]
        : [
            { repId: first, share: "0.6" },
            { repId: second, share: "0.4" },
          ];
    const month = 1 + pick(6);
    const closeDate = `2026-${pad(month, 2)}-${pad(1 + pick(28), 2)}`;
    events.push(
      makeEvent("DealClosed", `${dealId}-closed`, {
        dealId,
        amount: `${1_000 + pick(40_000)}.${pad(pick(100), 2)}`,
        currency: random() < 0.2 ? "EUR" : "USD",
        closeDate,
        product: random() < 0.5 ? "platform" : "services",
        dealType: "new",
        splits,
      }),
    );
    if (cancelEvery > 0 && d % cancelEvery === cancelEvery - 1) {
      events.push(
        makeEvent("DealCancelled", `${dealId}-cancelled`, {
          dealId,
          cancelDate: `2026-${pad(Math.min(month + 1, 12), 2)}-01`,
          reason: "customer withdrew",
        }),
      );
    }
  }
  return events;
}

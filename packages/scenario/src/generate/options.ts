import { isKnownCurrency } from "@icm/events";
import { type FxCadence, SUPPORTED_CURRENCIES } from "../fx/fx.js";
import { perMillion } from "../random/prng.js";
import { parseQuarterId } from "../time/dates.js";

export interface ScenarioOptions {
  /** Any integer; used modulo 2^32. The same seed and options give the same events, byte for byte. */
  readonly seed: number;
  /** Individual-contributor reps over the whole scenario, new hires included (2..100,000). */
  readonly reps: number;
  /** Closed deals (0..100,000,000); use `scenarioEvents` for large counts. */
  readonly deals: number;
  /** Fiscal quarters covered (1..40). */
  readonly quarters: number;
  /** First fiscal quarter, e.g. "2026-Q1" (the fiscal year starts in January). */
  readonly startQuarter: string;
  /** Deal currencies; default USD, EUR, GBP, JPY. Each non-USD currency gets an FX series into USD. */
  readonly currencies?: readonly string[];
  /** Share of deals later cancelled (0..1, default 0.04); about 60% inside every clawback window, 40% outside. */
  readonly cancellationRate?: number;
  /** Reps hired mid-quarter during the scenario; default max(1, reps / 20). */
  readonly newHires?: number;
  /** Deals recorded only after their quarter was closed (default 0). */
  readonly lateDealCount?: number;
  /** Days after quarter end when finance closes the quarter (default 10). */
  readonly closeLagDays?: number;
  /** Probability that an event is followed by a schema-breaking copy (default 0). */
  readonly invalidRate?: number;
  /** Probability that an event is followed by a redelivery of a recent event (default 0). */
  readonly duplicateRate?: number;
  /** FX publication cadence (default "mixed": EUR and GBP daily, the others weekly). */
  readonly fxCadence?: FxCadence;
  /** Company time zone written into CalendarConfigured (default America/New_York). */
  readonly timeZone?: string;
}

/** Options with defaults applied and probabilities as integer per-million thresholds. */
export interface ResolvedOptions {
  readonly seed: number;
  readonly reps: number;
  readonly deals: number;
  readonly quarters: number;
  readonly startQuarter: string;
  readonly currencies: readonly string[];
  readonly cancellationPerMillion: number;
  readonly newHires: number;
  readonly lateDealCount: number;
  readonly closeLagDays: number;
  readonly invalidPerMillion: number;
  readonly duplicatePerMillion: number;
  readonly fxCadence: FxCadence;
  readonly timeZone: string;
}

export const MAX_REPS = 100_000;
export const MAX_DEALS = 100_000_000;
export const MAX_QUARTERS = 40;
export const DEFAULT_CURRENCIES = ["USD", "EUR", "GBP", "JPY"] as const;

function integerIn(name: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

export function resolveOptions(options: ScenarioOptions): ResolvedOptions {
  const reps = integerIn("reps", options.reps, 2, MAX_REPS);
  const deals = integerIn("deals", options.deals, 0, MAX_DEALS);
  const quarters = integerIn("quarters", options.quarters, 1, MAX_QUARTERS);
  parseQuarterId(options.startQuarter);
  const currencies = [...(options.currencies ?? DEFAULT_CURRENCIES)];
  if (currencies.length === 0) throw new RangeError("currencies must not be empty");
  for (const currency of currencies) {
    if (!isKnownCurrency(currency) || !SUPPORTED_CURRENCIES.includes(currency)) {
      throw new RangeError(
        `currency ${currency} is not supported; use some of ${SUPPORTED_CURRENCIES.join(", ")}`,
      );
    }
  }
  if (new Set(currencies).size !== currencies.length) throw new RangeError("currencies must not repeat");
  const newHires = integerIn("newHires", options.newHires ?? Math.max(1, Math.floor(reps / 20)), 0, reps - 1);
  const fxCadence = options.fxCadence ?? "mixed";
  if (!["daily", "weekly", "mixed"].includes(fxCadence))
    throw new RangeError(`unknown fxCadence ${fxCadence}`);
  return {
    seed: integerIn("seed", options.seed, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER) >>> 0,
    reps,
    deals,
    quarters,
    startQuarter: options.startQuarter,
    currencies,
    cancellationPerMillion: perMillion("cancellationRate", options.cancellationRate ?? 0.04),
    newHires,
    lateDealCount: integerIn("lateDealCount", options.lateDealCount ?? 0, 0, deals),
    closeLagDays: integerIn("closeLagDays", options.closeLagDays ?? 10, 0, 60),
    invalidPerMillion: perMillion("invalidRate", options.invalidRate ?? 0),
    duplicatePerMillion: perMillion("duplicateRate", options.duplicateRate ?? 0),
    fxCadence,
    timeZone: options.timeZone ?? "America/New_York",
  };
}

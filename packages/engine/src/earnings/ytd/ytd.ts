import { Decimal } from "@icm/events";
import type { CompiledRateTable } from "../../facts/index.js";
import { EMPTY_RATE_TABLE_STATE, RateTable, type RateTableState } from "../rate-table/run.js";

/**
 * Year-to-date state of one rate-table component of a `cumulative: "ytd"` plan, carried from one quota
 * period of a fiscal year to the next. `items` is every credit fed so far this year (to re-rate them when
 * the YTD quota grows); `state.target` is what has been paid.
 */
export interface YtdCarry {
  readonly planId: string;
  readonly quota: Decimal;
  readonly items: readonly { readonly credit: Decimal; readonly matched: boolean }[];
  readonly state: RateTableState;
}

/** What a quota period hands to the next one of the same fiscal year. */
export interface YearCarry {
  /** Rounded, capped amounts paid per component id so far this fiscal year (for perYear caps). */
  readonly paid: ReadonlyMap<string, Decimal>;
  readonly ytd: ReadonlyMap<string, YtdCarry>;
}

export const EMPTY_YEAR_CARRY: YearCarry = { paid: new Map(), ytd: new Map() };

/**
 * Starts a year-to-date run for a new quota period or plan segment: the YTD quota grows by the segment's
 * quota, and every earlier credit of the year is re-rated against it. The re-rated `target` minus what was
 * already paid comes out as a true-up on the segment's first line (often negative: the same credit is a
 * smaller share of a larger quota). Returns the table (undefined without a quota) and the state to continue from.
 */
export function startYtd(
  component: CompiledRateTable,
  planId: string,
  carry: YtdCarry | undefined,
  segmentQuota: Decimal | undefined,
): {
  table: RateTable | undefined;
  state: RateTableState;
  quota: Decimal;
  items: { credit: Decimal; matched: boolean }[];
} {
  const usable = carry !== undefined && carry.planId === planId ? carry : undefined;
  const priorQuota = usable?.quota ?? new Decimal(0);
  const items = [...(usable?.items ?? [])];
  if (segmentQuota === undefined) {
    return { table: undefined, state: usable?.state ?? EMPTY_RATE_TABLE_STATE, quota: priorQuota, items };
  }
  const quota = priorQuota.plus(segmentQuota);
  if (!quota.isPositive() || quota.isZero())
    return { table: undefined, state: usable?.state ?? EMPTY_RATE_TABLE_STATE, quota, items };
  const table = new RateTable(component, quota);
  if (usable === undefined) return { table, state: EMPTY_RATE_TABLE_STATE, quota, items };
  const rerated = table.replay(items);
  // Keep what was actually paid as the target: the next step's line then carries the re-rating difference.
  return { table, state: { ...rerated, target: usable.state.target }, quota, items };
}

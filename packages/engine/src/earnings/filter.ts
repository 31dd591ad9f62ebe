import type { Decimal } from "@icm/events";
import type { CompiledFilter, DealState } from "../facts/index.js";

/**
 * Whether a deal qualifies for a component (every given criterion must match; absent = any). The window is
 * on the business date (company zone), both ends inclusive; minAmount compares the whole deal amount in the
 * plan currency (after FX), not the rep's share.
 */
export function matchesFilter(
  filter: CompiledFilter | undefined,
  deal: DealState,
  businessDate: string,
  amountInPlanCurrency: Decimal,
): boolean {
  if (filter === undefined) return true;
  if (filter.products !== undefined && !filter.products.includes(deal.product)) return false;
  if (filter.dealTypes !== undefined && !filter.dealTypes.includes(deal.dealType)) return false;
  if (filter.closeDateFrom !== undefined && businessDate < filter.closeDateFrom) return false;
  if (filter.closeDateTo !== undefined && businessDate > filter.closeDateTo) return false;
  if (filter.minAmount !== undefined && amountInPlanCurrency.lessThan(filter.minAmount)) return false;
  return true;
}

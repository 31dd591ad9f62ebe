import type { Decimal } from "@icm/events";
import { assertBusinessDate, daysInclusive, maxDate, minDate, type Period } from "../calendar/index.js";

/**
 * The share of a period quota for the days a rep was active under a plan (DOMAIN.md §3): quota × active
 * calendar days / days in the period, unrounded. The active range is clipped to the period, so passing a
 * hire date before the period or an open end after it is fine. A full period returns the quota itself.
 */
export function prorateQuota(quota: Decimal, period: Period, activeFrom: string, activeTo: string): Decimal {
  assertBusinessDate(activeFrom, "activeFrom");
  assertBusinessDate(activeTo, "activeTo");
  const periodDays = daysInclusive(period.start, period.end);
  if (periodDays <= 0) throw new RangeError(`period ${period.id} has no days`);
  const activeDays = daysInclusive(maxDate(activeFrom, period.start), minDate(activeTo, period.end));
  if (activeDays === periodDays) return quota;
  return quota.times(activeDays).div(periodDays);
}

export {
  assertCalendar,
  type CompanyCalendar,
  DEFAULT_CALENDAR,
  nextPeriod,
  PERIOD_KINDS,
  PERIOD_MONTHS,
  type Period,
  type PeriodKind,
  parsePeriodId,
  periodContaining,
  periodIncludes,
  periodsWithin,
  previousPeriod,
  toBusinessDate,
} from "./calendar.js";
export { addDays, assertBusinessDate, daysInclusive, isBusinessDate, maxDate, minDate } from "./dates.js";

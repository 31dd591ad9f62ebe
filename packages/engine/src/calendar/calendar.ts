import { IANAZone } from "luxon";
import type { PeriodKind } from "../plan/types.js";
import {
  addDays,
  assertBusinessDate,
  dateOfDayNumber,
  dayNumber,
  daysInMonth,
  isBusinessDate,
  pad,
} from "./dates.js";

export type { PeriodKind } from "../plan/types.js";

/**
 * The company calendar (DOMAIN.md §3). Every business date is a date in `timeZone`; fiscal years start on
 * the first day of `fiscalYearStartMonth` (1 = January = fiscal year equals calendar year).
 */
export interface CompanyCalendar {
  readonly timeZone: string;
  readonly fiscalYearStartMonth: number;
}

export const DEFAULT_CALENDAR: CompanyCalendar = Object.freeze({ timeZone: "UTC", fiscalYearStartMonth: 1 });

/**
 * A month, fiscal quarter or fiscal year. `start` and `end` are both inclusive business dates, so
 * "is this deal in the period" is `start <= closeDate && closeDate <= end` on plain strings.
 * Ids: "2026-03" (calendar month), "2026-Q1" (first quarter of FY2026), "FY2026" (the fiscal year that
 * ENDS in 2026). `fiscalYear` is the fiscal year the period belongs to.
 */
export interface Period {
  readonly id: string;
  readonly kind: PeriodKind;
  readonly start: string;
  readonly end: string;
  readonly fiscalYear: number;
}

export const PERIOD_KINDS: readonly PeriodKind[] = ["month", "quarter", "year"];

/** How many months each kind spans: used to compare lengths (a payout period may not exceed the quota period). */
export const PERIOD_MONTHS: Readonly<Record<PeriodKind, number>> = Object.freeze({
  month: 1,
  quarter: 3,
  year: 12,
});

// Zones already found valid: asking the zone database builds an Intl formatter (tens of microseconds), and
// every period lookup that misses its cache validates the calendar. Keyed by the zone name, not the calendar
// object, so a calendar object changed after a check is still checked. Bounded like the period caches.
const validZones = new Set<string>();

function isValidZone(timeZone: string): boolean {
  if (validZones.has(timeZone)) return true;
  if (!IANAZone.isValidZone(timeZone)) return false;
  if (validZones.size >= CACHE_LIMIT) validZones.clear();
  validZones.add(timeZone);
  return true;
}

export function assertCalendar(calendar: CompanyCalendar): void {
  if (typeof calendar !== "object" || calendar === null) throw new RangeError("calendar must be an object");
  const { timeZone, fiscalYearStartMonth } = calendar;
  if (typeof timeZone !== "string" || !isValidZone(timeZone)) {
    throw new RangeError(
      `calendar time zone must be an IANA zone such as America/New_York, got ${JSON.stringify(timeZone)}`,
    );
  }
  if (!Number.isInteger(fiscalYearStartMonth) || fiscalYearStartMonth < 1 || fiscalYearStartMonth > 12) {
    throw new RangeError(`fiscal year start month must be 1..12, got ${String(fiscalYearStartMonth)}`);
  }
}

const INSTANT_PATTERN =
  /^(\d{4}-\d{2}-\d{2})T([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(?:\.(\d{1,9}))?)?(Z|([+-])([01]\d|2[0-3]):([0-5]\d))$/;
const UTC_ZONES = new Set(["UTC", "Etc/UTC", "Etc/GMT", "GMT"]);
const MS_PER_MINUTE = 60_000;
const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 86_400_000;

/**
 * The business date of a fact. A plain `YYYY-MM-DD` is already a date in the company zone and passes
 * through; an instant with an offset (`2026-03-31T23:30:00-05:00`) becomes the date it falls on in the
 * company zone, so a late-evening deal lands in the period its sellers saw on their calendar.
 */
export function toBusinessDate(calendar: CompanyCalendar, value: string): string {
  if (typeof value !== "string") throw new RangeError(`business date must be a string, got ${typeof value}`);
  if (isBusinessDate(value)) return value;
  const match = INSTANT_PATTERN.exec(value);
  const date = match?.[1];
  if (!match || date === undefined || !isBusinessDate(date)) {
    throw new RangeError(
      `not a date YYYY-MM-DD or an ISO 8601 date-time with an offset: ${JSON.stringify(value)}`,
    );
  }
  // The instant in UTC milliseconds, by integer arithmetic (no Date, no host zone).
  const offsetSign = match[7] === "-" ? -1 : 1;
  const offsetMinutes = match[6] === "Z" ? 0 : offsetSign * (Number(match[8]) * 60 + Number(match[9]));
  const milliseconds = Number((match[5] ?? "").padEnd(3, "0").slice(0, 3));
  const utcMs =
    dayNumber(date) * MS_PER_DAY +
    Number(match[2]) * MS_PER_HOUR +
    (Number(match[3]) - offsetMinutes) * MS_PER_MINUTE +
    Number(match[4] ?? "0") * 1000 +
    milliseconds;
  const localMs = utcMs + zoneOffsetMinutes(calendar.timeZone, utcMs) * MS_PER_MINUTE;
  return dateOfDayNumber(Math.floor(localMs / MS_PER_DAY));
}

// Offsets of the company zone per UTC hour: asking the zone database (Intl) costs microseconds and runs per
// deal. An hour whose two ends have the same offset has it throughout (no zone changes offset twice within
// an hour); an hour with a transition in it is asked per instant. Bounded like the period caches.
const offsetCache = new Map<string, number | null>();

function zoneOffsetMinutes(timeZone: string, utcMs: number): number {
  if (UTC_ZONES.has(timeZone)) return 0;
  const hour = Math.floor(utcMs / MS_PER_HOUR);
  const key = `${timeZone}|${hour}`;
  const cached = offsetCache.get(key);
  if (typeof cached === "number") return cached;
  const zone = IANAZone.create(timeZone);
  if (!zone.isValid)
    throw new RangeError(`calendar time zone must be an IANA zone, got ${JSON.stringify(timeZone)}`);
  if (cached === null) return zone.offset(utcMs);
  const atStart = zone.offset(hour * MS_PER_HOUR);
  const atEnd = zone.offset((hour + 1) * MS_PER_HOUR - 1);
  if (offsetCache.size >= CACHE_LIMIT) offsetCache.clear();
  offsetCache.set(key, atStart === atEnd ? atStart : null);
  return atStart === atEnd ? atStart : zone.offset(utcMs);
}

// Period lookups run once per deal; the number of distinct (calendar, kind, date) keys is small (days ×
// kinds × calendars), so a Map cache pays off. The limit keeps memory bounded if fed garbage dates.
const CACHE_LIMIT = 100_000;
/** parsePeriodId results per fiscal start month, keyed by the id itself (no composite key per call). */
const idCaches = new Map<number, Map<string, Period>>();
/**
 * periodContaining results per fiscal start month and kind, keyed by the date itself: a composite string
 * key would be built (and hashed) on every call, and this runs several times per event in replay.
 */
const containingCaches = new Map<number, Map<string, Map<string, Period>>>();
let containingCount = 0;

function remember(cache: Map<string, Period>, key: string, period: Period): Period {
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, period);
  return period;
}

/** Year and month `offset` months after (year, month). */
function shiftMonth(year: number, month: number, offset: number): { year: number; month: number } {
  const index = year * 12 + (month - 1) + offset;
  return { year: Math.floor(index / 12), month: (index % 12) + 1 };
}

/** The fiscal year (named by the calendar year it ends in) that contains calendar month (year, month). */
function fiscalYearOf(startMonth: number, year: number, month: number): number {
  return startMonth !== 1 && month >= startMonth ? year + 1 : year;
}

function fiscalYearStart(startMonth: number, fiscalYear: number): { year: number; month: number } {
  return startMonth === 1 ? { year: fiscalYear, month: 1 } : { year: fiscalYear - 1, month: startMonth };
}

function firstDay(year: number, month: number): string {
  return `${pad(year, 4)}-${pad(month, 2)}-01`;
}

function lastDay(year: number, month: number): string {
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(daysInMonth(year, month), 2)}`;
}

function buildPeriod(
  kind: PeriodKind,
  id: string,
  fiscalYear: number,
  startYm: { year: number; month: number },
): Period {
  const endYm = shiftMonth(startYm.year, startYm.month, PERIOD_MONTHS[kind] - 1);
  return Object.freeze({
    id,
    kind,
    start: firstDay(startYm.year, startYm.month),
    end: lastDay(endYm.year, endYm.month),
    fiscalYear,
  });
}

function assertKind(kind: PeriodKind): void {
  if (!PERIOD_KINDS.includes(kind))
    throw new RangeError(`period kind must be month, quarter or year, got ${String(kind)}`);
}

/** The month, fiscal quarter or fiscal year containing a business date. */
export function periodContaining(calendar: CompanyCalendar, kind: PeriodKind, date: string): Period {
  const startMonth = calendar.fiscalYearStartMonth;
  let cache = containingCaches.get(startMonth)?.get(kind);
  const cached = cache?.get(date);
  if (cached !== undefined) return cached;
  assertCalendar(calendar);
  assertKind(kind);
  assertBusinessDate(date);
  const year = Number(date.slice(0, 4));
  const month = Number(date.slice(5, 7));
  const fiscalYear = fiscalYearOf(startMonth, year, month);
  let period: Period;
  if (kind === "month") {
    period = buildPeriod("month", date.slice(0, 7), fiscalYear, { year, month });
  } else if (kind === "year") {
    period = buildPeriod(
      "year",
      `FY${pad(fiscalYear, 4)}`,
      fiscalYear,
      fiscalYearStart(startMonth, fiscalYear),
    );
  } else {
    const monthOfFiscalYear = (month - startMonth + 12) % 12; // 0..11
    const quarter = Math.floor(monthOfFiscalYear / 3) + 1;
    const fyStart = fiscalYearStart(startMonth, fiscalYear);
    const start = shiftMonth(fyStart.year, fyStart.month, (quarter - 1) * 3);
    period = buildPeriod("quarter", `${pad(fiscalYear, 4)}-Q${quarter}`, fiscalYear, start);
  }
  if (containingCount >= CACHE_LIMIT) {
    containingCaches.clear();
    containingCount = 0;
    cache = undefined;
  }
  if (cache === undefined) {
    let byKind = containingCaches.get(startMonth);
    if (byKind === undefined) {
      byKind = new Map();
      containingCaches.set(startMonth, byKind);
    }
    cache = new Map();
    byKind.set(kind, cache);
  }
  cache.set(date, period);
  containingCount += 1;
  return period;
}

const MONTH_ID = /^(\d{4})-(0[1-9]|1[0-2])$/;
const QUARTER_ID = /^(\d{4})-Q([1-4])$/;
const YEAR_ID = /^FY(\d{4})$/;

/** The period named by an id: "2026-03" (month), "2026-Q1" (fiscal quarter), "FY2026" (fiscal year). */
export function parsePeriodId(calendar: CompanyCalendar, id: string): Period {
  const startMonth = calendar.fiscalYearStartMonth;
  const cached = idCaches.get(startMonth)?.get(id);
  if (cached !== undefined) return cached;
  assertCalendar(calendar);
  let period: Period | undefined;
  const month = typeof id === "string" ? MONTH_ID.exec(id) : null;
  const quarter = typeof id === "string" ? QUARTER_ID.exec(id) : null;
  const year = typeof id === "string" ? YEAR_ID.exec(id) : null;
  if (month) {
    period = periodContaining(calendar, "month", `${month[1]}-${month[2]}-01`);
  } else if (quarter) {
    const fyStart = fiscalYearStart(startMonth, Number(quarter[1]));
    const start = shiftMonth(fyStart.year, fyStart.month, (Number(quarter[2]) - 1) * 3);
    if (start.year >= 0) period = periodContaining(calendar, "quarter", firstDay(start.year, start.month));
  } else if (year) {
    const fyStart = fiscalYearStart(startMonth, Number(year[1]));
    if (fyStart.year >= 0) period = periodContaining(calendar, "year", firstDay(fyStart.year, fyStart.month));
  }
  if (period === undefined || period.id !== id) {
    throw new RangeError(
      `period id ${JSON.stringify(id)} is not a period such as 2026-03, 2026-Q1 or FY2026`,
    );
  }
  let idCache = idCaches.get(startMonth);
  if (idCache === undefined) {
    idCache = new Map();
    idCaches.set(startMonth, idCache);
  }
  return remember(idCache, id, period);
}

/** The period of the same kind that starts the day after `period` ends. */
export function nextPeriod(calendar: CompanyCalendar, period: Period): Period {
  return periodContaining(calendar, period.kind, addDays(period.end, 1));
}

/** The period of the same kind that ends the day before `period` starts. */
export function previousPeriod(calendar: CompanyCalendar, period: Period): Period {
  return periodContaining(calendar, period.kind, addDays(period.start, -1));
}

/** The periods of `kind` that make up `outer`, in order (e.g. the three months of a quarter). */
export function periodsWithin(calendar: CompanyCalendar, kind: PeriodKind, outer: Period): Period[] {
  assertKind(kind);
  if (PERIOD_MONTHS[kind] > PERIOD_MONTHS[outer.kind]) {
    throw new RangeError(`a ${outer.kind} cannot be divided into ${kind}s`);
  }
  const parts: Period[] = [];
  let current = periodContaining(calendar, kind, outer.start);
  // A year holds at most 12 months; the bound documents that and stops a corrupt Period from looping.
  for (let guard = 0; guard < 12 && current.start <= outer.end; guard += 1) {
    parts.push(current);
    current = nextPeriod(calendar, current);
  }
  return parts;
}

/** Whether a business date lies in the period (both ends inclusive). */
export function periodIncludes(period: Period, date: string): boolean {
  return period.start <= date && date <= period.end;
}

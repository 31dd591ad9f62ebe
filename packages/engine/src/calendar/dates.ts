/**
 * Business dates are `YYYY-MM-DD` strings in the company zone. They compare correctly as strings, so the
 * engine never needs a Date object for them. Day arithmetic is done on a day number (days since
 * 1970-01-01 in the proleptic Gregorian calendar) with integer maths only, so it cannot be affected by the
 * host time zone or by daylight-saving shifts: a calendar day is always one day.
 */

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * Dates already found valid. Every deal date is checked several times per event in replay (business date,
 * period lookups, day arithmetic), and the regex allocates a match each time; the set of distinct dates is
 * small. Bounded: cleared past the limit.
 */
const validDates = new Set<string>();
const VALID_DATES_LIMIT = 100_000;

export function isBusinessDate(text: string): boolean {
  if (validDates.has(text)) return true;
  const match = DATE_PATTERN.exec(text);
  if (!match) return false;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  const valid = month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
  if (valid) {
    if (validDates.size >= VALID_DATES_LIMIT) validDates.clear();
    validDates.add(text);
  }
  return valid;
}

export function assertBusinessDate(text: string, what = "date"): void {
  if (typeof text !== "string" || !isBusinessDate(text)) {
    throw new RangeError(`${what} must be a calendar date YYYY-MM-DD, got ${JSON.stringify(text)}`);
  }
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days since 1970-01-01 (H. Hinnant's days_from_civil). */
export function dayNumber(date: string): number {
  assertBusinessDate(date);
  let year = Number(date.slice(0, 4));
  const month = Number(date.slice(5, 7));
  const day = Number(date.slice(8, 10));
  year -= month <= 2 ? 1 : 0;
  const era = Math.floor(year / 400);
  const yearOfEra = year - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

/** The inverse of dayNumber (H. Hinnant's civil_from_days). */
export function dateOfDayNumber(days: number): string {
  if (!Number.isSafeInteger(days)) throw new RangeError(`day number must be an integer, got ${days}`);
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const dayOfEra = z - era * 146097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524) - Math.floor(dayOfEra / 146096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  if (year < 0 || year > 9999) throw new RangeError(`date out of range (year ${year})`);
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
}

/** The date `days` calendar days after `date` (negative = before). */
export function addDays(date: string, days: number): string {
  if (!Number.isSafeInteger(days)) throw new RangeError(`days must be an integer, got ${days}`);
  return dateOfDayNumber(dayNumber(date) + days);
}

/** Number of calendar days from `from` to `to`, both included; 0 when `to` is before `from`. */
export function daysInclusive(from: string, to: string): number {
  const count = dayNumber(to) - dayNumber(from) + 1;
  return count > 0 ? count : 0;
}

export function pad(value: number, width: number): string {
  return String(value).padStart(width, "0");
}

/** The later of two business dates. */
export function maxDate(a: string, b: string): string {
  return a >= b ? a : b;
}

/** The earlier of two business dates. */
export function minDate(a: string, b: string): string {
  return a <= b ? a : b;
}

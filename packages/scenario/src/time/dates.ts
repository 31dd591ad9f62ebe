/**
 * Calendar arithmetic on `YYYY-MM-DD` strings through day numbers (days since 1970-01-01), using Howard
 * Hinnant's civil-date algorithms: pure integer maths, no Date object, no time zone, no wall clock.
 */
import { addDays, dateOfDayNumber, dayNumber } from "@icm/engine";

export type IsoDate = string;

// The civil-date arithmetic is the engine calendar's own (Howard Hinnant's algorithms on day numbers).
export { addDays, dayNumber } from "@icm/engine";

export function dateOf(days: number): IsoDate {
  return dateOfDayNumber(days);
}

/** 0 = Monday ... 6 = Sunday (1970-01-01 was a Thursday). */
export function weekday(date: IsoDate): number {
  return (((dayNumber(date) + 3) % 7) + 7) % 7;
}

export function isWeekday(date: IsoDate): boolean {
  return weekday(date) < 5;
}

/** The date itself on a weekday, else the following Monday. */
export function nextWeekday(date: IsoDate): IsoDate {
  const day = weekday(date);
  return day < 5 ? date : addDays(date, 7 - day);
}

/** A fiscal quarter of a calendar whose fiscal year starts in January. */
export interface Quarter {
  /** Period id, e.g. "2026-Q1". */
  readonly id: string;
  readonly year: number;
  readonly quarter: number;
  readonly first: IsoDate;
  readonly last: IsoDate;
  /** Period ids of its three months, e.g. "2026-01". */
  readonly months: readonly string[];
}

export function parseQuarterId(id: string): { year: number; quarter: number } {
  const match = /^(\d{4})-Q([1-4])$/.exec(id);
  if (!match) throw new RangeError(`not a quarter id such as 2026-Q1: ${id}`);
  return { year: Number(match[1]), quarter: Number(match[2]) };
}

function monthId(year: number, month: number): string {
  return `${year}-${String(month).padStart(2, "0")}`;
}

export function quarterAt(year: number, quarter: number): Quarter {
  const firstMonth = (quarter - 1) * 3 + 1;
  const first = `${monthId(year, firstMonth)}-01`;
  const nextFirst = quarter === 4 ? `${year + 1}-01-01` : `${monthId(year, firstMonth + 3)}-01`;
  return {
    id: `${year}-Q${quarter}`,
    year,
    quarter,
    first,
    last: addDays(nextFirst, -1),
    months: [monthId(year, firstMonth), monthId(year, firstMonth + 1), monthId(year, firstMonth + 2)],
  };
}

/** `count` consecutive quarters from `startId`. */
export function quarterSpan(startId: string, count: number): Quarter[] {
  const start = parseQuarterId(startId);
  const quarters: Quarter[] = [];
  for (let offset = 0; offset < count; offset += 1) {
    const index = start.quarter - 1 + offset;
    quarters.push(quarterAt(start.year + Math.floor(index / 4), (index % 4) + 1));
  }
  return quarters;
}

/** The month period id ("2026-02") of a date. */
export function monthOf(date: IsoDate): string {
  return date.slice(0, 7);
}

/** Weekdays (Monday to Friday) from first to last inclusive. */
export function weekdaysBetween(first: IsoDate, last: IsoDate): IsoDate[] {
  const days: IsoDate[] = [];
  for (let day = dayNumber(first); day <= dayNumber(last); day += 1) {
    const date = dateOf(day);
    if (isWeekday(date)) days.push(date);
  }
  return days;
}

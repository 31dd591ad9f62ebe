import fc from "fast-check";
import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import {
  addDays,
  assertCalendar,
  type CompanyCalendar,
  DEFAULT_CALENDAR,
  daysInclusive,
  nextPeriod,
  parsePeriodId,
  periodContaining,
  periodsWithin,
  previousPeriod,
  toBusinessDate,
} from "./index.js";

const pad2 = (value: number) => String(value).padStart(2, "0");
const newYork: CompanyCalendar = { timeZone: "America/New_York", fiscalYearStartMonth: 1 };
const chicago: CompanyCalendar = { timeZone: "America/Chicago", fiscalYearStartMonth: 1 };
const fyFebruary: CompanyCalendar = { timeZone: "UTC", fiscalYearStartMonth: 2 };
const fyJuly: CompanyCalendar = { timeZone: "Europe/Berlin", fiscalYearStartMonth: 7 };

describe("toBusinessDate", () => {
  it("passes a plain date through unchanged", () => {
    expect(toBusinessDate(newYork, "2026-03-31")).toBe("2026-03-31");
  });

  it("places a late-evening instant in the company zone", () => {
    const instant = "2026-03-31T23:30:00-05:00"; // 04:30 UTC on April 1
    expect(toBusinessDate(DEFAULT_CALENDAR, instant)).toBe("2026-04-01");
    expect(periodContaining(DEFAULT_CALENDAR, "month", toBusinessDate(DEFAULT_CALENDAR, instant)).id).toBe(
      "2026-04",
    );
    // Chicago is on CDT (-05:00) on March 31, so the sellers saw 23:30 on the 31st.
    expect(toBusinessDate(chicago, instant)).toBe("2026-03-31");
    expect(periodContaining(chicago, "month", toBusinessDate(chicago, instant)).id).toBe("2026-03");
    // New York is already on EDT (-04:00) on March 31: the same instant is 00:30 on April 1 there.
    expect(toBusinessDate(newYork, instant)).toBe("2026-04-01");
    // In winter New York is at -05:00, so the analogous instant stays on the 31st.
    expect(toBusinessDate(newYork, "2026-01-31T23:30:00-05:00")).toBe("2026-01-31");
  });

  it("uses the offset in force on the day around a daylight-saving change", () => {
    // DST starts 2026-03-08 in New York: 04:30Z on the 9th is 00:30 EDT (would be 23:30 on the 8th at EST).
    expect(toBusinessDate(newYork, "2026-03-09T04:30:00Z")).toBe("2026-03-09");
    // 04:30Z on the 8th is still EST: 23:30 on the 7th.
    expect(toBusinessDate(newYork, "2026-03-08T04:30:00Z")).toBe("2026-03-07");
    // The DST day is still one calendar day long for proration and windows.
    expect(daysInclusive("2026-03-08", "2026-03-08")).toBe(1);
    expect(addDays("2026-03-07", 2)).toBe("2026-03-09");
  });

  it("handles UTC instants with Z, fractional seconds and positive offsets", () => {
    expect(toBusinessDate(DEFAULT_CALENDAR, "2026-12-31T23:59:59.999Z")).toBe("2026-12-31");
    expect(toBusinessDate(DEFAULT_CALENDAR, "2027-01-01T00:30:00+01:00")).toBe("2026-12-31");
    expect(toBusinessDate({ timeZone: "Asia/Tokyo", fiscalYearStartMonth: 4 }, "2026-03-31T15:00:00Z")).toBe(
      "2026-04-01",
    );
  });

  it("law: agrees with luxon for any instant, across daylight-saving changes", () => {
    const zones = [
      "UTC",
      "America/New_York",
      "Europe/Berlin",
      "Australia/Lord_Howe",
      "Asia/Kathmandu",
      "Pacific/Apia",
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.integer({ min: 0, max: 3650 }),
        fc.integer({ min: 0, max: 24 * 60 - 1 }),
        fc.integer({ min: 0, max: 59 }),
        fc.integer({ min: -14 * 4, max: 14 * 4 }),
        (timeZone, day, minuteOfDay, second, quarterHours) => {
          const offset = quarterHours * 15;
          const sign = offset < 0 ? "-" : "+";
          const abs = Math.abs(offset);
          const offsetText = `${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
          const clock = `${pad2(Math.floor(minuteOfDay / 60))}:${pad2(minuteOfDay % 60)}:${pad2(second)}`;
          const instant = `${addDays("2020-01-01", day)}T${clock}${offsetText}`;
          const expected = DateTime.fromISO(instant, { zone: timeZone }).toISODate();
          expect(toBusinessDate({ timeZone, fiscalYearStartMonth: 1 }, instant)).toBe(expected);
        },
      ),
      { numRuns: 400 },
    );
  });

  it("is exact on both sides of a daylight-saving transition", () => {
    // New York leaves EDT at 2026-11-01 06:00Z (02:00 EDT becomes 01:00 EST).
    expect(toBusinessDate(newYork, "2026-11-02T04:59:59Z")).toBe("2026-11-01"); // 23:59:59 EST
    expect(toBusinessDate(newYork, "2026-11-02T05:00:00Z")).toBe("2026-11-02");
    expect(toBusinessDate(newYork, "2026-03-08T06:59:59.999Z")).toBe("2026-03-08"); // 01:59:59.999 EST
    expect(toBusinessDate(newYork, "2026-03-09T03:59:59Z")).toBe("2026-03-08"); // 23:59:59 EDT
    expect(toBusinessDate(newYork, "2026-03-09T04:00:00Z")).toBe("2026-03-09");
  });

  it("rejects text that is neither a date nor an instant with an offset", () => {
    expect(() => toBusinessDate(DEFAULT_CALENDAR, "2026-02-30")).toThrow(RangeError);
    expect(() => toBusinessDate(DEFAULT_CALENDAR, "2026-03-01T10:00:00")).toThrow(/offset/);
    expect(() => toBusinessDate(DEFAULT_CALENDAR, "yesterday")).toThrow(RangeError);
  });
});

describe("periods", () => {
  it("names calendar-year months, quarters and years with fiscal start month 1", () => {
    expect(periodContaining(DEFAULT_CALENDAR, "month", "2026-02-14")).toEqual({
      id: "2026-02",
      kind: "month",
      start: "2026-02-01",
      end: "2026-02-28",
      fiscalYear: 2026,
    });
    expect(periodContaining(DEFAULT_CALENDAR, "quarter", "2026-05-31")).toMatchObject({
      id: "2026-Q2",
      start: "2026-04-01",
      end: "2026-06-30",
    });
    expect(periodContaining(DEFAULT_CALENDAR, "year", "2026-12-31")).toMatchObject({
      id: "FY2026",
      start: "2026-01-01",
      end: "2026-12-31",
    });
    expect(periodContaining(DEFAULT_CALENDAR, "month", "2028-02-29").end).toBe("2028-02-29");
  });

  it("names fiscal years by the calendar year they end in (start month 2)", () => {
    expect(parsePeriodId(fyFebruary, "FY2026")).toEqual({
      id: "FY2026",
      kind: "year",
      start: "2025-02-01",
      end: "2026-01-31",
      fiscalYear: 2026,
    });
    expect(periodContaining(fyFebruary, "year", "2026-01-31").id).toBe("FY2026");
    expect(periodContaining(fyFebruary, "year", "2026-02-01").id).toBe("FY2027");
    expect(parsePeriodId(fyFebruary, "2026-Q1")).toMatchObject({ start: "2025-02-01", end: "2025-04-30" });
    expect(parsePeriodId(fyFebruary, "2026-Q4")).toMatchObject({ start: "2025-11-01", end: "2026-01-31" });
    expect(periodContaining(fyFebruary, "quarter", "2026-01-15").id).toBe("2026-Q4");
    expect(periodContaining(fyFebruary, "month", "2026-01-15")).toMatchObject({
      id: "2026-01",
      fiscalYear: 2026,
    });
    expect(periodContaining(fyFebruary, "month", "2026-02-01")).toMatchObject({
      id: "2026-02",
      fiscalYear: 2027,
    });
  });

  it("handles a July fiscal year", () => {
    expect(parsePeriodId(fyJuly, "FY2026")).toMatchObject({ start: "2025-07-01", end: "2026-06-30" });
    expect(parsePeriodId(fyJuly, "2026-Q1")).toMatchObject({ start: "2025-07-01", end: "2025-09-30" });
    expect(parsePeriodId(fyJuly, "2026-Q3")).toMatchObject({ start: "2026-01-01", end: "2026-03-31" });
    expect(periodContaining(fyJuly, "quarter", "2026-06-30").id).toBe("2026-Q4");
    expect(periodContaining(fyJuly, "quarter", "2026-07-01").id).toBe("2027-Q1");
    expect(periodContaining(fyJuly, "year", "2025-12-31").id).toBe("FY2026");
  });

  it("steps to the next and previous period across fiscal-year boundaries", () => {
    const q4 = parsePeriodId(fyJuly, "2026-Q4");
    expect(nextPeriod(fyJuly, q4).id).toBe("2027-Q1");
    expect(previousPeriod(fyJuly, nextPeriod(fyJuly, q4))).toEqual(q4);
    expect(nextPeriod(DEFAULT_CALENDAR, parsePeriodId(DEFAULT_CALENDAR, "2026-12")).id).toBe("2027-01");
    expect(nextPeriod(fyFebruary, parsePeriodId(fyFebruary, "FY2026")).start).toBe("2026-02-01");
  });

  it("lists the months of a quarter and the quarters of a year in order", () => {
    const q4 = parsePeriodId(fyFebruary, "2026-Q4");
    expect(periodsWithin(fyFebruary, "month", q4).map((p) => p.id)).toEqual([
      "2025-11",
      "2025-12",
      "2026-01",
    ]);
    const year = parsePeriodId(fyJuly, "FY2026");
    expect(periodsWithin(fyJuly, "quarter", year).map((p) => p.id)).toEqual([
      "2026-Q1",
      "2026-Q2",
      "2026-Q3",
      "2026-Q4",
    ]);
    expect(periodsWithin(fyJuly, "month", year)).toHaveLength(12);
    expect(periodsWithin(fyJuly, "month", year)[0]?.id).toBe("2025-07");
    expect(() => periodsWithin(fyJuly, "year", q4)).toThrow(RangeError);
  });

  it("rejects ids that are not periods, naming the id", () => {
    for (const id of ["2026-13", "2026-Q5", "FY26", "2026/03", "", "Q1-2026"]) {
      expect(() => parsePeriodId(DEFAULT_CALENDAR, id)).toThrow(
        new RegExp(JSON.stringify(id).replace(/[/\\^$*+?.()|[\]{}]/g, "\\$&")),
      );
    }
  });

  it("laws: every date lies in exactly one period of each kind, and ids round-trip", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20_000 }),
        fc.integer({ min: 1, max: 12 }),
        fc.constantFrom("month" as const, "quarter" as const, "year" as const),
        (day, startMonth, kind) => {
          const calendar: CompanyCalendar = { timeZone: "UTC", fiscalYearStartMonth: startMonth };
          const date = addDays("2000-01-01", day);
          const period = periodContaining(calendar, kind, date);
          expect(period.start <= date && date <= period.end).toBe(true);
          expect(parsePeriodId(calendar, period.id)).toEqual(period);
          expect(previousPeriod(calendar, period).end).toBe(addDays(period.start, -1));
          expect(nextPeriod(calendar, period).start).toBe(addDays(period.end, 1));
          expect(periodContaining(calendar, "year", period.end).fiscalYear).toBe(period.fiscalYear);
          expect(parsePeriodId(calendar, `FY${period.fiscalYear}`).end.slice(0, 4)).toBe(
            String(period.fiscalYear),
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("day arithmetic", () => {
  it("counts inclusive calendar days", () => {
    expect(daysInclusive("2026-01-01", "2026-12-31")).toBe(365);
    expect(daysInclusive("2028-01-01", "2028-12-31")).toBe(366);
    expect(daysInclusive("2026-03-15", "2026-03-14")).toBe(0);
    expect(addDays("2026-12-31", 1)).toBe("2027-01-01");
    expect(addDays("2024-03-01", -1)).toBe("2024-02-29");
  });

  it("law: addDays and daysInclusive are inverse", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 5_000 }), (start, span) => {
        const from = addDays("1900-01-01", start);
        const to = addDays(from, span);
        expect(daysInclusive(from, to)).toBe(span + 1);
        expect(addDays(to, -span)).toBe(from);
      }),
      { numRuns: 200 },
    );
  });
});

describe("assertCalendar", () => {
  it("accepts IANA zones and start months 1..12", () => {
    expect(() => assertCalendar(fyJuly)).not.toThrow();
    expect(() => assertCalendar(DEFAULT_CALENDAR)).not.toThrow();
  });

  it("rejects unknown zones and months outside 1..12", () => {
    expect(() => assertCalendar({ timeZone: "Mars/Olympus", fiscalYearStartMonth: 1 })).toThrow(/IANA/);
    expect(() => assertCalendar({ timeZone: "UTC", fiscalYearStartMonth: 13 })).toThrow(/1\.\.12/);
    expect(() => assertCalendar({ timeZone: "UTC", fiscalYearStartMonth: 0 })).toThrow(/1\.\.12/);
    expect(() =>
      periodContaining({ timeZone: "UTC", fiscalYearStartMonth: 1.5 }, "month", "2026-01-01"),
    ).toThrow(RangeError);
  });
});

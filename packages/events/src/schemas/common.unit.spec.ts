import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isShare, isValidCalendarDate, LocalDate, ShareString } from "./common.js";

/** The definition it replaced: the shape, then the month's length as Date.UTC computes it. */
function byDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

const pad = (n: number, width: number) => String(n).padStart(width, "0");

describe("isValidCalendarDate", () => {
  it("law: agrees with the Date-based definition on every shape of input (years 0000-9999, months and days 00-99)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 9999 }),
        fc.integer({ min: 0, max: 99 }),
        fc.integer({ min: 0, max: 99 }),
        (year, month, day) => {
          const text = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
          expect(isValidCalendarDate(text)).toBe(byDate(text));
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it("law: agrees on arbitrary strings", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), (text) => {
        expect(isValidCalendarDate(text)).toBe(byDate(text));
      }),
      { numRuns: 2_000 },
    );
  });

  it("knows leap years, the century rule and Date.UTC's two-digit years", () => {
    for (const [text, valid] of [
      ["2024-02-29", true],
      ["2026-02-29", false],
      ["2000-02-29", true],
      ["1900-02-29", false],
      ["2100-02-29", false],
      ["0004-02-29", true],
      ["0000-02-29", false], // Date.UTC reads year 0 as 1900
      ["2026-04-31", false],
      ["2026-12-31", true],
      ["2026-13-01", false],
      ["2026-00-10", false],
      ["2026-01-00", false],
      ["2026-1-01", false],
      ["２０２６-01-01", false],
    ] as const) {
      expect([text, isValidCalendarDate(text)]).toEqual([text, valid]);
      expect([text, LocalDate.safeParse(text).success]).toEqual([text, valid]);
    }
  });
});

/** The definition it replaced. */
function bySplit(s: string): boolean {
  if (s.startsWith("-")) return false;
  const [whole, fraction = ""] = s.split(".");
  if (whole === "1") return /^0*$/.test(fraction);
  return whole === "0" && /[1-9]/.test(fraction);
}

describe("isShare", () => {
  it("law: answers as the split-based definition on arbitrary strings and on decimal-like ones", () => {
    const decimalLike = fc
      .array(fc.constantFrom("0", "1", "2", "9", ".", "-", "a"), { maxLength: 8 })
      .map((chars) => chars.join(""));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 10 }), decimalLike), (s) => {
        expect(isShare(s)).toBe(bySplit(s));
      }),
      { numRuns: 5_000 },
    );
  });

  it("accepts shares in (0, 1] and refuses the rest", () => {
    for (const s of ["1", "1.0", "1.000", "0.5", "0.01", "0.000001"])
      expect(ShareString.safeParse(s).success).toBe(true);
    for (const s of ["0", "0.0", "1.01", "2", "-0.5", "01", ".5", "0.", "10", "abc"])
      expect([s, ShareString.safeParse(s).success]).toEqual([s, false]);
  });
});

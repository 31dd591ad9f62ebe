import { Decimal } from "@icm/events";
import { describe, expect, it } from "vitest";
import { DEFAULT_CALENDAR, parsePeriodId } from "../calendar/index.js";
import { prorateQuota } from "./index.js";

const q1 = parsePeriodId(DEFAULT_CALENDAR, "2026-Q1"); // 90 days

describe("prorateQuota", () => {
  it("returns the full quota for the full period (and beyond it)", () => {
    expect(prorateQuota(new Decimal("100000"), q1, "2026-01-01", "2026-03-31").toFixed()).toBe("100000");
    expect(prorateQuota(new Decimal("100000"), q1, "2020-01-01", "2099-12-31").toFixed()).toBe("100000");
  });

  it("prorates a mid-period hire by calendar days", () => {
    // Hired 2026-02-15: 15 days of February + 31 of March = 45 of 90.
    expect(prorateQuota(new Decimal("100000"), q1, "2026-02-15", "2099-12-31").toFixed()).toBe("50000");
    // One day.
    expect(prorateQuota(new Decimal("90000"), q1, "2026-03-31", "2026-03-31").toFixed()).toBe("1000");
  });

  it("keeps the unrounded quotient and gives zero outside the period", () => {
    const third = prorateQuota(new Decimal("100"), q1, "2026-01-01", "2026-01-30");
    expect(third.toDecimalPlaces(10).toFixed()).toBe("33.3333333333");
    expect(prorateQuota(new Decimal("100000"), q1, "2026-04-01", "2026-06-30").isZero()).toBe(true);
  });
});

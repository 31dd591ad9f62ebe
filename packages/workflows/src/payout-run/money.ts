import { Decimal, formatDecimal, roundDecimal } from "@icm/events";

/**
 * Money as it leaves the workflows: a fixed string at the statement's scale. Statement amounts are already
 * rounded at the ledger line; rounding again (HALF_EVEN, explicitly) only normalises the representation, the
 * same way the canonical statement does, so what finance sees is what the close digests.
 */
export function money(value: Decimal, scale: number): string {
  return formatDecimal(roundDecimal(value, scale, "HALF_EVEN"), scale);
}

export const ZERO = new Decimal(0);

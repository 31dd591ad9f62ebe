import type { Decimal } from "@icm/events";
import type { CompiledBonus } from "../../facts/index.js";

/**
 * A bonus is paid once per quota period, on the item whose credit first brings attainment to the level
 * (attainment ≥ level). Attainment falling back later does not take it back (a clawback of the deal that
 * earned it does, at the original rate).
 */
export function bonusReached(bonus: CompiledBonus, attainmentAfter: Decimal, alreadyPaid: boolean): boolean {
  return !alreadyPaid && attainmentAfter.greaterThanOrEqualTo(bonus.attainmentLevel);
}

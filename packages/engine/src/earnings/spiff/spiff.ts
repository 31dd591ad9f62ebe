import type { Decimal } from "@icm/events";
import type { CompiledSpiff } from "../../facts/index.js";
import { num, ratePct } from "../format.js";

/** A qualifying deal pays the fixed amount × the rep's share, or the rate × the rep's credit (unrounded). */
export function spiffAmount(
  spiff: CompiledSpiff,
  credit: Decimal,
  share: Decimal,
): { amount: Decimal; arithmetic: string } {
  if (spiff.payout.kind === "fixed") {
    const amount = spiff.payout.amount.times(share);
    return { amount, arithmetic: `${num(spiff.payout.amount)} × ${num(share.times(100))}% share` };
  }
  const amount = credit.times(spiff.payout.rate);
  return { amount, arithmetic: `${num(credit)} × ${ratePct(spiff.payout.rate)}` };
}

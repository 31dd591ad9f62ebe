import { Decimal } from "@icm/events";
import type { CompiledRateTable } from "../../facts/index.js";
import { num, ratePct } from "../format.js";
import {
  type BandSlice,
  bandAt,
  marginalSlices,
  type ResolvedBand,
  resolveBands,
  slicesText,
  sumSlices,
} from "./bands.js";

const ZERO = new Decimal(0);

/**
 * The running state of one rate-table component over a quota period (or a fiscal year to date). All
 * unrounded: lines are rounded once, when they become ledger entries.
 *   credit  - running credit toward quota (every credited item, matched or not)
 *   counted - credit of matching items inside the gate/attainment-cap window (retroactive pays rate × counted)
 *   accrued - what the component has earned ignoring a first-dollar gate
 *   target  - what should have been paid so far (accrued, or 0 while a first-dollar gate is closed)
 */
export interface RateTableState {
  readonly credit: Decimal;
  readonly counted: Decimal;
  readonly accrued: Decimal;
  readonly target: Decimal;
}

export const EMPTY_RATE_TABLE_STATE: RateTableState = {
  credit: ZERO,
  counted: ZERO,
  accrued: ZERO,
  target: ZERO,
};

export interface RateTableStep {
  readonly state: RateTableState;
  /** The item's own line: its slice of credit at the band rate(s). */
  readonly earning: Decimal;
  /** Everything else the item moves: retroactive re-rating, a gate opening (or closing). */
  readonly trueUp: Decimal;
  /** Signed credit of the item inside the gate/cap window. */
  readonly countedCredit: Decimal;
  readonly gateOpen: boolean;
  readonly bandLabels: readonly string[];
  readonly earningText: string;
  readonly trueUpText: string;
  readonly inputs: Readonly<Record<string, string>>;
}

/** One rate-table component with its bands resolved for a quota. */
export class RateTable {
  readonly bands: readonly ResolvedBand[];
  private readonly gateCredit: Decimal | undefined;
  private readonly capCredit: Decimal | undefined;

  constructor(
    readonly component: CompiledRateTable,
    readonly quota: Decimal,
  ) {
    if (!quota.isPositive() || quota.isZero())
      throw new RangeError(`rate table ${component.id}: quota must be > 0`);
    this.bands = resolveBands(component, quota);
    this.gateCredit = component.gate === undefined ? undefined : component.gate.threshold.times(quota);
    this.capCredit = component.attainmentCap === undefined ? undefined : component.attainmentCap.times(quota);
  }

  private isOpen(credit: Decimal): boolean {
    return this.gateCredit === undefined || credit.greaterThanOrEqualTo(this.gateCredit);
  }

  /** The item's interval of the credit line clipped to what this component counts. Returns [lo, hi], lo ≤ hi. */
  private window(from: Decimal, to: Decimal): [Decimal, Decimal] {
    let lo = Decimal.min(from, to);
    let hi = Decimal.max(from, to);
    if (this.component.gate?.payFrom === "above_threshold" && this.gateCredit !== undefined)
      lo = Decimal.max(lo, this.gateCredit);
    if (this.capCredit !== undefined) hi = Decimal.min(hi, this.capCredit);
    return hi.greaterThan(lo) ? [lo, hi] : [lo, lo];
  }

  /** The band that sets the retroactive rate for a running credit (the attainment cap limits it too). */
  private retroBand(credit: Decimal): ResolvedBand {
    const counted = this.capCredit === undefined ? credit : Decimal.min(credit, this.capCredit);
    return bandAt(this.bands, counted);
  }

  /** Feeds one item (a deal's or a quota-counting adjustment's credit) through the component. */
  step(state: RateTableState, credit: Decimal, matched: boolean): RateTableStep {
    const before = state.credit;
    const after = before.plus(credit);
    const sign = credit.isNegative() ? -1 : 1;
    const [lo, hi] = this.window(before, after);
    const countedCredit = matched ? hi.minus(lo).times(sign) : ZERO;
    let earningOwn = ZERO;
    let accrued: Decimal;
    let counted = state.counted;
    let slices: BandSlice[] = [];
    let earningText = "";
    let bandLabels: string[];
    const inputs: Record<string, string> = {
      creditBefore: before.toFixed(),
      credit: credit.toFixed(),
      creditAfter: after.toFixed(),
      quota: this.quota.toFixed(),
      countedCredit: countedCredit.toFixed(),
    };
    if (this.component.method === "marginal") {
      if (matched) {
        slices = marginalSlices(this.bands, lo, hi);
        earningOwn = sumSlices(slices).times(sign);
        earningText =
          slices.length === 0 ? "0" : `${sign < 0 ? "−(" : ""}${slicesText(slices)}${sign < 0 ? ")" : ""}`;
      }
      accrued = state.accrued.plus(earningOwn);
      bandLabels = slices.map((s) => s.band.label);
      if (bandLabels.length === 0) bandLabels = [bandAt(this.bands, after).label];
    } else {
      const band = this.retroBand(after);
      counted = counted.plus(countedCredit);
      if (matched) {
        earningOwn = countedCredit.times(band.rate);
        earningText = `${num(countedCredit)} × ${ratePct(band.rate)}`;
      }
      accrued = counted.times(band.rate);
      bandLabels = [band.label];
      inputs.rateBefore = this.retroBand(before).rate.toFixed();
      inputs.rateAfter = band.rate.toFixed();
      inputs.countedBefore = state.counted.toFixed();
    }
    const gateOpen = this.isOpen(after);
    const firstDollar = this.component.gate?.payFrom === "first_dollar";
    const target = firstDollar && !gateOpen ? ZERO : accrued;
    const earning = firstDollar && !gateOpen ? ZERO : earningOwn;
    const total = target.minus(state.target);
    const trueUp = total.minus(earning);
    let trueUpText = "";
    if (!trueUp.isZero()) {
      const rateBefore = this.retroBand(before).rate;
      const rateAfter = this.retroBand(after).rate;
      if (
        this.component.method === "retroactive" &&
        !rateBefore.equals(rateAfter) &&
        state.target.equals(state.accrued) &&
        target.equals(accrued)
      ) {
        trueUpText = `(${ratePct(rateAfter)} − ${ratePct(rateBefore)}) × ${num(state.counted)}`;
      } else if (firstDollar && gateOpen && state.target.isZero() && !state.accrued.isZero()) {
        trueUpText = `gate reached: pays the ${num(state.accrued)} deferred on earlier credit`;
      } else {
        trueUpText = `${num(target)} earned to date − ${num(state.target)} already paid − ${num(earning)} on this line`;
      }
    }
    inputs.earningUnrounded = earning.toFixed();
    inputs.trueUpUnrounded = trueUp.toFixed();
    inputs.accrued = accrued.toFixed();
    inputs.target = target.toFixed();
    if (this.component.gate !== undefined) inputs.gateOpen = String(gateOpen);
    return {
      state: { credit: after, counted, accrued, target },
      earning,
      trueUp,
      countedCredit,
      gateOpen,
      bandLabels,
      earningText: earningText === "" ? "0" : earningText,
      trueUpText,
      inputs,
    };
  }

  /** Runs a sequence of items from the start (a year-to-date re-rating when the YTD quota grows). */
  replay(items: readonly { readonly credit: Decimal; readonly matched: boolean }[]): RateTableState {
    let state = EMPTY_RATE_TABLE_STATE;
    for (const item of items) state = this.step(state, item.credit, item.matched).state;
    return state;
  }
}

/**
 * Cache-invalidation bookkeeping for Facts.revisionOf. Each counter holds the log position of the last fact
 * that touched its scope, so the numbers only grow. Scopes: everything (calendar, plan publications), one rep
 * (assignment, hierarchy), one rep and month of business time (deals, quotas, adjustments), one currency and month of its effective date (FX).
 */

/**
 * A month of business time as a number (year × 12 + month − 1) from a date or month text that starts
 * `YYYY-MM`: ordered as the text is, and a small integer, so a month map hashes it without reading a
 * string (the month maps are touched for every rep and manager a deal event reaches).
 */
export function monthKey(dateOrMonth: string): number {
  const year =
    (dateOrMonth.charCodeAt(0) - 48) * 1000 +
    (dateOrMonth.charCodeAt(1) - 48) * 100 +
    (dateOrMonth.charCodeAt(2) - 48) * 10 +
    (dateOrMonth.charCodeAt(3) - 48);
  const month = (dateOrMonth.charCodeAt(5) - 48) * 10 + (dateOrMonth.charCodeAt(6) - 48);
  return year * 12 + month - 1;
}

/** Everything kept for one rep: one map lookup per rep touched instead of one per scope. */
export interface RepRevisions {
  /** The last fact that touched the rep as a whole (assignment, hierarchy). */
  position: number;
  /** monthKey of business time → the last fact that touched it. */
  readonly months: Map<number, number>;
  /** Currencies the rep has credit in, so that their FX rates count for the rep's revision. */
  readonly currencies: Set<string>;
  /** The currency noted last: most reps deal in one, so most notes skip the set. */
  lastCurrency: string | undefined;
}

export class Revisions {
  private all = -1;
  private readonly byRep = new Map<string, RepRevisions>();
  /** currency → monthKey of the rate's effective date → position: a rate only reaches deals dated on or after it. */
  private readonly byCurrency = new Map<string, Map<number, number>>();
  /** The highest position a month was touched with: every stored rep-month position is at most this. */
  private lastTouchPosition = -1;

  private repOf(repId: string): RepRevisions {
    let rep = this.byRep.get(repId);
    if (rep === undefined) {
      rep = { position: -1, months: new Map(), currencies: new Set(), lastCurrency: undefined };
      this.byRep.set(repId, rep);
    }
    return rep;
  }

  /**
   * The records of these reps, in order, for touchDeal: Facts keeps one list per rep (the rep and every
   * manager above), so a deal event costs no map lookup per manager.
   */
  recordsOf(repIds: readonly string[]): RepRevisions[] {
    const out: RepRevisions[] = [];
    for (const repId of repIds) out.push(this.repOf(repId));
    return out;
  }

  touchAll(position: number): void {
    this.all = Math.max(this.all, position);
  }

  touchRep(repId: string, position: number): void {
    const rep = this.repOf(repId);
    rep.position = Math.max(rep.position, position);
  }

  touchRepMonth(repId: string, month: string, position: number): void {
    this.touchMonth(this.repOf(repId), monthKey(month), position);
  }

  /**
   * A deal event reaching reps (the ones it credited and every manager above them, as records from
   * recordsOf): the deal's currency noted and its months (monthKey) touched. The hottest loop of apply:
   * every deal and payment event reaches each of its reps and every manager above them.
   */
  touchDeal(
    reps: readonly RepRevisions[],
    currency: string,
    months: readonly number[],
    position: number,
  ): void {
    for (const rep of reps) {
      if (rep.lastCurrency !== currency) {
        rep.currencies.add(currency);
        rep.lastCurrency = currency;
      }
      for (const month of months) this.touchMonth(rep, month, position);
    }
  }

  /**
   * Facts applies events in log order, so a touch's position is never below the one it replaces: set it
   * without reading the old one. A lower position (never expected) keeps the higher one.
   */
  private touchMonth(rep: RepRevisions, month: number, position: number): void {
    if (position >= this.lastTouchPosition) {
      this.lastTouchPosition = position;
      rep.months.set(month, position);
    } else {
      rep.months.set(month, Math.max(rep.months.get(month) ?? -1, position));
    }
  }

  touchCurrency(currency: string, effectiveMonth: string, position: number): void {
    let months = this.byCurrency.get(currency);
    if (months === undefined) {
      months = new Map();
      this.byCurrency.set(currency, months);
    }
    const month = monthKey(effectiveMonth);
    months.set(month, Math.max(months.get(month) ?? -1, position));
  }

  repUsesCurrency(repId: string, currency: string): boolean {
    return this.byRep.get(repId)?.currencies.has(currency) ?? false;
  }

  /** The revision of a rep over the months [fromMonth, toMonth] (YYYY-MM, inclusive). */
  of(repId: string, fromMonth: string, toMonth: string): number {
    const rep = this.byRep.get(repId);
    let revision = this.all;
    if (rep === undefined) return revision;
    const from = monthKey(fromMonth);
    const to = monthKey(toMonth);
    if (rep.position > revision) revision = rep.position;
    for (const [month, position] of rep.months) {
      if (month >= from && month <= to && position > revision) revision = position;
    }
    for (const currency of rep.currencies) {
      for (const [month, position] of this.byCurrency.get(currency) ?? []) {
        if (month <= to && position > revision) revision = position;
      }
    }
    return revision;
  }
}

/**
 * Cache-invalidation bookkeeping for Facts.revisionOf. Each counter holds the log position of the last fact
 * that touched its scope, so the numbers only grow. Scopes: everything (calendar, plan publications), one rep
 * (assignment, hierarchy), one rep and month of business time (deals, quotas, adjustments), one currency and month of its effective date (FX).
 */
/** Everything kept for one rep: one map lookup per rep touched instead of one per scope. */
interface RepRevisions {
  /** The last fact that touched the rep as a whole (assignment, hierarchy). */
  position: number;
  /** Month of business time → the last fact that touched it. */
  readonly months: Map<string, number>;
  /** Currencies the rep has credit in, so that their FX rates count for the rep's revision. */
  readonly currencies: Set<string>;
}

export class Revisions {
  private all = -1;
  private readonly byRep = new Map<string, RepRevisions>();
  /** currency → month of the rate's effective date → position: a rate only reaches deals dated on or after it. */
  private readonly byCurrency = new Map<string, Map<string, number>>();
  /** The highest position a month was touched with: every stored rep-month position is at most this. */
  private lastTouchPosition = -1;

  private repOf(repId: string): RepRevisions {
    let rep = this.byRep.get(repId);
    if (rep === undefined) {
      rep = { position: -1, months: new Map(), currencies: new Set() };
      this.byRep.set(repId, rep);
    }
    return rep;
  }

  touchAll(position: number): void {
    this.all = Math.max(this.all, position);
  }

  touchRep(repId: string, position: number): void {
    const rep = this.repOf(repId);
    rep.position = Math.max(rep.position, position);
  }

  touchRepMonth(repId: string, month: string, position: number): void {
    this.touchMonth(this.repOf(repId), month, position);
  }

  /**
   * A deal event reaching the rep (one it credited, or a manager above): the deal's currency noted and its
   * months touched, with one map lookup for both. The hottest loop of apply: every deal and payment event
   * reaches each of its reps and every manager above them.
   */
  touchDeal(repId: string, currency: string, months: readonly string[], position: number): void {
    const rep = this.repOf(repId);
    rep.currencies.add(currency);
    for (const month of months) this.touchMonth(rep, month, position);
  }

  /**
   * Facts applies events in log order, so a touch's position is never below the one it replaces: set it
   * without reading the old one. A lower position (never expected) keeps the higher one.
   */
  private touchMonth(rep: RepRevisions, month: string, position: number): void {
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
    months.set(effectiveMonth, Math.max(months.get(effectiveMonth) ?? -1, position));
  }

  repUsesCurrency(repId: string, currency: string): boolean {
    return this.byRep.get(repId)?.currencies.has(currency) ?? false;
  }

  /** The revision of a rep over the months [fromMonth, toMonth] (YYYY-MM, inclusive). */
  of(repId: string, fromMonth: string, toMonth: string): number {
    const rep = this.byRep.get(repId);
    let revision = this.all;
    if (rep === undefined) return revision;
    if (rep.position > revision) revision = rep.position;
    for (const [month, position] of rep.months) {
      if (month >= fromMonth && month <= toMonth && position > revision) revision = position;
    }
    for (const currency of rep.currencies) {
      for (const [month, position] of this.byCurrency.get(currency) ?? []) {
        if (month <= toMonth && position > revision) revision = position;
      }
    }
    return revision;
  }
}

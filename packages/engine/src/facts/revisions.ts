/**
 * Cache-invalidation bookkeeping for Facts.revisionOf. Each counter holds the log position of the last fact
 * that touched its scope, so the numbers only grow. Scopes: everything (calendar, plan publications), one rep
 * (assignment, hierarchy), one rep and month of business time (deals, quotas, adjustments), one currency and month of its effective date (FX).
 */
export class Revisions {
  private all = -1;
  private readonly byRep = new Map<string, number>();
  private readonly byRepMonth = new Map<string, Map<string, number>>();
  /** currency → month of the rate's effective date → position: a rate only reaches deals dated on or after it. */
  private readonly byCurrency = new Map<string, Map<string, number>>();
  private readonly currenciesByRep = new Map<string, Set<string>>();

  touchAll(position: number): void {
    this.all = Math.max(this.all, position);
  }

  touchRep(repId: string, position: number): void {
    this.byRep.set(repId, Math.max(this.byRep.get(repId) ?? -1, position));
  }

  /**
   * Facts applies events in log order, so a touch's position is never below the one it replaces: set it
   * without reading the old one (the hottest line of apply: every deal event touches each of its reps and
   * every manager above them, per month). A lower position (never expected) keeps the higher one.
   */
  touchRepMonth(repId: string, month: string, position: number): void {
    let months = this.byRepMonth.get(repId);
    if (months === undefined) {
      months = new Map();
      this.byRepMonth.set(repId, months);
    }
    if (position >= this.lastTouchPosition) {
      this.lastTouchPosition = position;
      months.set(month, position);
    } else {
      months.set(month, Math.max(months.get(month) ?? -1, position));
    }
  }

  /** The highest position touchRepMonth was called with: every stored rep-month position is at most this. */
  private lastTouchPosition = -1;

  touchCurrency(currency: string, effectiveMonth: string, position: number): void {
    let months = this.byCurrency.get(currency);
    if (months === undefined) {
      months = new Map();
      this.byCurrency.set(currency, months);
    }
    months.set(effectiveMonth, Math.max(months.get(effectiveMonth) ?? -1, position));
  }

  /** Remembers that a rep has credit in a currency, so that its FX rates count for the rep's revision. */
  noteCurrency(repId: string, currency: string): void {
    let set = this.currenciesByRep.get(repId);
    if (set === undefined) {
      set = new Set();
      this.currenciesByRep.set(repId, set);
    }
    set.add(currency);
  }

  repUsesCurrency(repId: string, currency: string): boolean {
    return this.currenciesByRep.get(repId)?.has(currency) ?? false;
  }

  /** The revision of a rep over the months [fromMonth, toMonth] (YYYY-MM, inclusive). */
  of(repId: string, fromMonth: string, toMonth: string): number {
    let revision = Math.max(this.all, this.byRep.get(repId) ?? -1);
    for (const [month, position] of this.byRepMonth.get(repId) ?? []) {
      if (month >= fromMonth && month <= toMonth && position > revision) revision = position;
    }
    for (const currency of this.currenciesByRep.get(repId) ?? []) {
      for (const [month, position] of this.byCurrency.get(currency) ?? []) {
        if (month <= toMonth && position > revision) revision = position;
      }
    }
    return revision;
  }
}

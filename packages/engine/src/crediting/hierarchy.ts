import { assertBusinessDate } from "../calendar/index.js";
import { EffectiveDatedHistory } from "./effective-dated.js";

interface ManagerChange {
  readonly managerId: string | null;
  readonly effectiveDate: string;
  readonly position: number;
}

/**
 * Beyond any real org chart; it bounds the walk even if a corrupt hierarchy had a chain this long
 * without a cycle.
 */
export const MAX_CHAIN_DEPTH = 1_000;

/**
 * The effective-dated management chain (DOMAIN.md §3): overlay credit rolls up through the chain as it
 * was on each deal's close date, not as it is today. A change recorded later for the same effective date
 * replaces the earlier one. A rep with no recorded manager on a date has none (null).
 */
export class ManagerHierarchy {
  private readonly changes = new Map<string, EffectiveDatedHistory<ManagerChange>>();

  setManager(repId: string, managerId: string | null, effectiveDate: string, position: number): void {
    if (typeof repId !== "string" || repId === "") throw new RangeError("repId must not be empty");
    if (managerId !== null && (typeof managerId !== "string" || managerId === "")) {
      throw new RangeError(`manager of ${repId} must be a rep id or null`);
    }
    assertBusinessDate(effectiveDate, `manager change of ${repId}`);
    let history = this.changes.get(repId);
    if (history === undefined) {
      history = new EffectiveDatedHistory<ManagerChange>();
      this.changes.set(repId, history);
    }
    history.add({ managerId, effectiveDate, position }, `manager change of ${repId}`);
  }

  managerOn(repId: string, date: string, throughPosition?: number): string | null {
    return this.changes.get(repId)?.on(date, throughPosition)?.managerId ?? null;
  }

  /**
   * Manager, grand-manager, ... on `date`, nearest first, at most `maxDepth` levels. Stops before a rep
   * already in the chain (a cycle: someone managing their own manager), so it always terminates.
   */
  chainOn(repId: string, date: string, maxDepth?: number, throughPosition?: number): string[] {
    const depthLimit = maxDepth === undefined ? MAX_CHAIN_DEPTH : Math.min(maxDepth, MAX_CHAIN_DEPTH);
    if (!Number.isInteger(depthLimit) || depthLimit < 0) {
      throw new RangeError(`maxDepth must be a non-negative integer, got ${String(maxDepth)}`);
    }
    const chain: string[] = [];
    const seen = new Set<string>([repId]);
    let current = repId;
    while (chain.length < depthLimit) {
      const manager = this.managerOn(current, date, throughPosition);
      if (manager === null || seen.has(manager)) break;
      chain.push(manager);
      seen.add(manager);
      current = manager;
    }
    return chain;
  }
}

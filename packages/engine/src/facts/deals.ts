import { Decimal, type EventData, keptDecimal } from "@icm/events";
import type { DealSlots } from "./activity-index.js";
import { SharedValues } from "./shared-values.js";
import type { DealSplit, DealState, SourceRef } from "./types.js";

/** One DealClosed or DealAmended with its decimals parsed once, at apply time. */
interface DealVersion extends SourceRef {
  readonly kind: "closed" | "amended";
  readonly amount?: Decimal;
  readonly currency?: string;
  readonly closeDate?: string;
  readonly product?: string;
  readonly dealType?: string;
  readonly margin?: Decimal | undefined;
  readonly customer?: string | undefined;
  readonly splits?: readonly DealSplit[];
}

/**
 * A DealClosed as kept. It is also the deal's state while it is the only version and nothing cancels it
 * (most deals, for good): `stateAt` hands out the version itself instead of a copy of its fields kept per
 * deal. Its sources are itself. `margin` and `customer` are undefined when absent, which DealState readers
 * treat alike (no reader asks `in`).
 *
 * Amount and margin are parsed when first read: a replay applies every deal of the log, but a close or a
 * verify of one quarter reads the amounts of that quarter's deals only, and a parsed amount kept is a
 * Decimal and its digits (~80 bytes) per amount nobody may ever ask for. The text was validated as a
 * decimal string with the event; the Decimal is the same whenever it is made.
 */
class ClosedVersion implements DealVersion {
  readonly kind = "closed";
  private amountDecimal: Decimal | undefined = undefined;
  private marginDecimal: Decimal | undefined = undefined;

  constructor(
    readonly eventId: string,
    readonly position: number,
    readonly dealId: string,
    private readonly amountText: string,
    readonly currency: string,
    readonly closeDate: string,
    readonly product: string,
    readonly dealType: string,
    private readonly marginText: string | undefined,
    readonly customer: string | undefined,
    readonly splits: readonly DealSplit[],
    readonly sources: readonly SourceRef[],
  ) {}

  get amount(): Decimal {
    this.amountDecimal ??= keptDecimal(this.amountText);
    return this.amountDecimal;
  }

  get margin(): Decimal | undefined {
    if (this.marginText === undefined) return undefined;
    this.marginDecimal ??= keptDecimal(this.marginText);
    return this.marginDecimal;
  }
}

/** Stands in the one-slot source list of a DealClosed until the version itself takes its place. */
const PLACEHOLDER_SOURCE: SourceRef = { eventId: "", position: 0 };

interface DealCancellation extends SourceRef {
  readonly cancelDate: string;
  readonly reason: string;
}

// Shared empty lists, never pushed to (addVersion / addCancelled replace them with a list of one).
const NO_VERSIONS: DealVersion[] = [];
const NO_CANCELS: DealCancellation[] = [];

/**
 * Parsed split shares by their text: a few values ("1", "0.5") cover almost every split, and a Decimal is
 * immutable, so deals share one instance instead of parsing and keeping one per split. Bounded.
 */
const shares = new SharedValues<Decimal>(1_000);

function parseShare(text: string): Decimal {
  return shares.get(text, (t) => new Decimal(t));
}

/**
 * Split lists of one rep, shared by content: most deals have one rep, and a rep's deals then carry the same
 * list (splits are readonly), instead of a list and a split object each. Bounded; cleared when full.
 */
const soleSplits = new SharedValues<readonly DealSplit[]>(100_000);

function parseSplits(splits: readonly { repId: string; share: string }[]): readonly DealSplit[] {
  const only = splits.length === 1 ? splits[0] : undefined;
  if (only === undefined) return splits.map((s) => ({ repId: s.repId, share: parseShare(s.share) }));
  return soleSplits.get(`${only.repId}\u0000${only.share}`, () =>
    Object.freeze([Object.freeze({ repId: only.repId, share: parseShare(only.share) })]),
  );
}

/**
 * The history of one deal. A second DealClosed for the same deal id is a restatement of every field
 * (like an amendment that names all of them); DealAmended replaces the fields it names; the first
 * DealCancelled counts. Facts recorded before the deal's first DealClosed cannot apply to it and are
 * reported as `unknown_deal` exceptions instead.
 */
export class DealHistory implements DealSlots {
  /** Created with their first entry: an empty list grown by push reserves 17 slots (one per deal kept). */
  private versions: DealVersion[] = NO_VERSIONS;
  private cancels: DealCancellation[] = NO_CANCELS;
  /** The activity index's slots of this deal (see DealSlots): kept here, not in a map by deal id. */
  activitySlots: DealSlots["activitySlots"] = undefined;

  constructor(readonly dealId: string) {}

  addClosed(data: EventData["DealClosed"], source: SourceRef): void {
    // A one-slot list (a list grown by push from empty reserves 17 slots), then the version takes the slot.
    const sources: SourceRef[] = [PLACEHOLDER_SOURCE];
    const version = new ClosedVersion(
      source.eventId,
      source.position,
      this.dealId,
      data.amount,
      data.currency,
      data.closeDate,
      data.product,
      data.dealType,
      data.margin,
      data.customer,
      parseSplits(data.splits),
      sources,
    );
    sources[0] = version;
    this.addVersion(version);
  }

  addAmended(data: EventData["DealAmended"], source: SourceRef): void {
    this.addVersion({
      ...source,
      kind: "amended",
      ...(data.amount === undefined ? {} : { amount: keptDecimal(data.amount) }),
      ...(data.currency === undefined ? {} : { currency: data.currency }),
      ...(data.closeDate === undefined ? {} : { closeDate: data.closeDate }),
      ...(data.product === undefined ? {} : { product: data.product }),
      ...(data.dealType === undefined ? {} : { dealType: data.dealType }),
      ...(data.margin === undefined ? {} : { margin: keptDecimal(data.margin) }),
      ...(data.splits === undefined ? {} : { splits: parseSplits(data.splits) }),
    });
  }

  addCancelled(data: EventData["DealCancelled"], source: SourceRef): void {
    const cancel = {
      eventId: source.eventId,
      position: source.position,
      cancelDate: data.cancelDate,
      reason: data.reason,
    };
    if (this.cancels.length === 0) this.cancels = [cancel];
    else this.cancels.push(cancel);
  }

  private addVersion(version: DealVersion): void {
    // A deal's first DealClosed lists itself as its one source: that list is its list of versions too (one
    // array fewer per deal). It is never pushed to: a second version replaces it with a list of two.
    if (this.versions.length === 0)
      this.versions = version instanceof ClosedVersion ? (version.sources as DealVersion[]) : [version];
    else if (this.versions.length === 1) this.versions = [this.versions[0] as DealVersion, version];
    else this.versions.push(version);
  }

  /** Position of the first DealClosed, or undefined when the deal was only amended/cancelled so far. */
  firstClosedPosition(): number | undefined {
    return this.versions.find((v) => v.kind === "closed")?.position;
  }

  /** Amendments and cancellations recorded before any DealClosed, as of a position. */
  orphans(throughPosition: number): SourceRef[] {
    const closedAt = this.firstClosedPosition();
    const early = (ref: SourceRef) =>
      ref.position <= throughPosition &&
      (closedAt === undefined || ref.position < closedAt || closedAt > throughPosition);
    return [...this.versions.filter((v) => v.kind === "amended" && early(v)), ...this.cancels.filter(early)]
      .map((r) => ({ eventId: r.eventId, position: r.position }))
      .sort((a, b) => a.position - b.position);
  }

  /** Every rep ever named in a split, for indexing. */
  static splitReps(splits: readonly { repId: string }[]): string[] {
    return [...new Set(splits.map((s) => s.repId))].sort();
  }

  /** The deal after each of its versions recorded through the position (for finding every rep it ever credited). */
  allVersionsThrough(throughPosition: number): DealState[] {
    const states: DealState[] = [];
    for (const version of this.versions) {
      if (version.position > throughPosition) break;
      const state = this.stateAt(version.position);
      if (state !== undefined) states.push(state);
    }
    const latest = this.stateAt(throughPosition);
    if (latest !== undefined) states.push(latest);
    return states;
  }

  /**
   * The deal as it stood at `throughPosition` (inclusive); undefined before its DealClosed. Resolved states
   * are cached by how many versions and cancellations are visible: the history only grows, so that pair
   * names one state forever.
   */
  stateAt(throughPosition: number): DealState | undefined {
    let versionCount = this.versions.length;
    while (versionCount > 0 && (this.versions[versionCount - 1] as DealVersion).position > throughPosition)
      versionCount -= 1;
    let cancelCount = this.cancels.length;
    while (cancelCount > 0 && (this.cancels[cancelCount - 1] as DealCancellation).position > throughPosition)
      cancelCount -= 1;
    if (versionCount === 1 && cancelCount === 0) {
      const only = this.versions[0] as DealVersion;
      if (only instanceof ClosedVersion) return only as DealState;
    }
    const key = versionCount * 1024 + Math.min(cancelCount, 1023);
    if (this.cacheKey === key) return this.cachedState;
    const state = this.resolve(throughPosition);
    this.cachedState = state;
    this.cacheKey = key;
    return state;
  }

  /** The last resolved state and its key (-1: none yet); no wrapper object, one is kept per deal. */
  private cachedState: DealState | undefined;
  private cacheKey = -1;

  private resolve(throughPosition: number): DealState | undefined {
    let state: Mutable<DealState> | undefined;
    const sources: SourceRef[] = [];
    for (const version of this.versions) {
      if (version.position > throughPosition) break;
      if (state === undefined) {
        if (version.kind !== "closed") continue;
        state = {
          dealId: this.dealId,
          amount: version.amount as Decimal,
          currency: version.currency as string,
          closeDate: version.closeDate as string,
          product: version.product as string,
          dealType: version.dealType as string,
          splits: version.splits as readonly DealSplit[],
          sources,
        };
        if (version.margin !== undefined) state.margin = version.margin;
        if (version.customer !== undefined) state.customer = version.customer;
      } else {
        if (version.kind === "closed") {
          // A restatement: margin and customer not restated are gone.
          delete state.margin;
          delete state.customer;
        }
        if (version.amount !== undefined) state.amount = version.amount;
        if (version.currency !== undefined) state.currency = version.currency;
        if (version.closeDate !== undefined) state.closeDate = version.closeDate;
        if (version.product !== undefined) state.product = version.product;
        if (version.dealType !== undefined) state.dealType = version.dealType;
        if (version.margin !== undefined) state.margin = version.margin;
        if (version.customer !== undefined) state.customer = version.customer;
        if (version.splits !== undefined) state.splits = version.splits;
      }
      // The version is its own source ref (it has eventId and position): no second object per deal kept.
      // Every reader of `sources` takes those two fields only (sortSources, SortedSources, exceptions).
      sources.push(version);
    }
    if (state === undefined) return undefined;
    // Exactly sized: a list grown by push keeps room for 17 entries, and one state per deal is kept.
    state.sources = sources.slice();
    const closedAt = sources[0]?.position ?? 0;
    const cancel = this.cancels.find((c) => c.position <= throughPosition && c.position > closedAt);
    if (cancel !== undefined) state.cancellation = cancel;
    return state;
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

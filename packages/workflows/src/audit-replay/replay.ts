import { type BundleChainVerification, ChainVerifier, merkleRoot, type RecordedEventLike } from "@icm/audit";
import { canonicalEntry, ENGINE_VERSION, Engine, type Statement, statementDigest } from "@icm/engine";
import {
  canonicalJson,
  type DomainEvent,
  type EventData,
  EventValidationError,
  GENESIS_HASH,
} from "@icm/events";
import { money } from "../payout-run/money.js";
import { type PayoutRunStatement, summarise } from "../payout-run/summary.js";
import { toDomainEvent } from "../workspace/log.js";

/** The first place a recomputed statement differs from what the close recorded. */
export interface Divergence {
  readonly repId: string;
  /** An entry id when it can be named, else "payable", "digest" or "statement" (missing / extra rep). */
  readonly line: string;
  readonly expected: string;
  readonly found: string;
}

export type VerifyCheck =
  | "chain"
  | "chain_head"
  | "event"
  | "statement"
  | "merkle_root"
  | "engine_version"
  | "bundle";

export interface VerifyFinding {
  readonly check: VerifyCheck;
  readonly detail: string;
  /** The log position the finding is about, when there is one (e.g. the first broken link). */
  readonly position?: number;
}

/**
 * The outcome of replaying a close (DOMAIN.md §7): "reproduced" when every recomputed statement digest,
 * the Merkle root and the chain head match the close and the chain holds; otherwise "diverged" with the
 * findings, the first statement divergence and the first broken log position.
 */
export interface VerifyReport {
  readonly period: string;
  readonly status: "reproduced" | "diverged";
  readonly closeEventId: string;
  readonly closePosition: number;
  readonly throughPosition: number;
  readonly statementsChecked: number;
  readonly eventsReplayed: number;
  readonly merkleRoot: { readonly recorded: string; readonly recomputed: string };
  readonly chainHead: { readonly recorded: string; readonly found: string };
  readonly engineVersion: { readonly recorded: string; readonly current: string };
  /** The first statement that did not reproduce, with its first differing line. */
  readonly divergence?: Divergence;
  /** The first log position whose stored event fails the hash chain. */
  readonly brokenAt?: number;
  readonly findings: readonly VerifyFinding[];
}

type PeriodClosedData = EventData["PeriodClosed"];
/** An event as parsed for the engine, or why it cannot be; undefined past the close (never replayed). */
type Parsed = { event: DomainEvent } | { error: unknown } | undefined;

/** An event through the close, held back before it is applied (see CloseReplay.pending). */
interface Pending {
  readonly position: number;
  readonly eventId: string;
  readonly parsed: NonNullable<Parsed>;
  /** Its link's chain finding, when this is the first broken link. */
  readonly chainFinding: VerifyFinding | undefined;
}

export interface ReplayInput {
  readonly close: PeriodClosedData;
  readonly closeEventId: string;
  readonly closePosition: number;
  /**
   * The log from genesis, in global order; only events through close.throughPosition are replayed. Read a
   * second time when an earlier close was recorded more than `lookaheadEvents` after its throughPosition.
   */
  readonly events: readonly RecordedEventLike[];
  /**
   * Optional: the statement a trusted engine holds for a rep (used only to name the first differing entry
   * when a digest does not match; ignored unless its own digest equals the recorded one).
   */
  readonly reference?: (repId: string) => Statement | undefined;
  /**
   * How many events the replay holds back before applying them (default LATE_FACTS_LOOKAHEAD_EVENTS), so
   * that a close recorded after writers appended past its throughPosition still finds those events
   * unapplied and can have their touches recorded (Engine.recordLateFactsAfter).
   */
  readonly lookaheadEvents?: number;
  /** Record every event's touches from genesis (the fallback when a close's gap was longer than the lookahead). */
  readonly everyLateFact?: boolean;
}

/**
 * Events a replay holds back before applying them. A close is computed through the head of the log, then
 * recorded; whatever writers append in between is in its gap. At ingest's measured rate (~15,000 events/s)
 * this covers a close computed in well under a second of concurrent appends; a longer gap costs one more
 * replay (LateFactsMissedError), never a wrong answer.
 */
export const LATE_FACTS_LOOKAHEAD_EVENTS = 10_000;
/** The bound on `lookaheadEvents`: pending events are held in memory. */
const MAX_LOOKAHEAD_EVENTS = 1_000_000;

/**
 * A replay applied events after an earlier close's throughPosition before it met that close, without their
 * touches: its statements' late facts cannot be answered. Thrown when the replay meets that close (by
 * push / pushPage); replay again with `everyLateFact`.
 */
export class LateFactsMissedError extends Error {
  constructor(
    readonly closePosition: number,
    readonly throughPosition: number,
  ) {
    super(
      `the close at position ${closePosition} was computed through ${throughPosition}, further back than the replay held events for; replay again with every late fact`,
    );
    this.name = "LateFactsMissedError";
  }
}

/** The first entry where two statements differ, named by entry id. */
function firstDifferingLine(expected: Statement, found: Statement): Divergence | undefined {
  const scale = Math.max(expected.scale, found.scale);
  const foundById = new Map(found.entries.map((e) => [e.id, e]));
  for (const e of expected.entries) {
    const f = foundById.get(e.id);
    if (f === undefined)
      return { repId: expected.repId, line: e.id, expected: money(e.amount, scale), found: "absent" };
    if (canonicalJson(canonicalEntry(e, scale)) !== canonicalJson(canonicalEntry(f, scale)))
      return {
        repId: expected.repId,
        line: e.id,
        expected: money(e.amount, scale),
        found: money(f.amount, scale),
      };
  }
  const expectedIds = new Set(expected.entries.map((e) => e.id));
  const extra = found.entries.find((e) => !expectedIds.has(e.id));
  if (extra !== undefined)
    return { repId: expected.repId, line: extra.id, expected: "absent", found: money(extra.amount, scale) };
  return undefined;
}

/**
 * Replays the log up to the close's position in a FRESH engine and compares everything the close recorded.
 * Pure with respect to its input: the same events give the same report.
 */
export function replayClose(input: ReplayInput): VerifyReport {
  const run = (everyLateFact: boolean): VerifyReport => {
    const replay = new CloseReplay({ ...input, everyLateFact });
    for (const event of input.events) {
      if (event.globalPosition > input.close.throughPosition) break;
      replay.push(event);
    }
    return replay.finish();
  };
  try {
    return run(input.everyLateFact ?? false);
  } catch (error) {
    if (!(error instanceof LateFactsMissedError)) throw error;
    return run(true);
  }
}

/**
 * `replayClose` fed one event at a time, so a caller can stream the log (pages from a store) instead of
 * holding it in memory. Events after the close's position may be pushed too: they are not replayed, only
 * their hash-chain links are checked (`chainAfterClose`), so one read of the log serves both the replay
 * and the walk of the whole stored chain.
 */
export class CloseReplay {
  private readonly close: PeriodClosedData;
  private readonly findings: VerifyFinding[] = [];
  private readonly chain = new ChainVerifier();
  /** Verify never asks what-if (no log kept); touches are recorded from the first close met (see ReplayInput). */
  private readonly engine: Engine;
  /**
   * Pushed events not applied yet, oldest first from `pendingHead` (settled slots are emptied). Each holds
   * what its apply needs, not the stored event: the rows' texts and decoded JSON would otherwise live as long
   * as the lookahead, long enough for V8 to promote them, and be garbage in the old generation (measured
   * at the default size: ~1 GB promoted from the rows in 30 s of reading, most of it dead by the next full
   * collection). Its chain link is checked when it is pushed; a broken link's finding waits here with it, so
   * findings keep the log's order.
   */
  private pending: (Pending | undefined)[] = [];
  private pendingHead = 0;
  private readonly lookaheadEvents: number;
  private chainHeadFound: string;
  private replayed = 0;
  private brokenAt: number | undefined;
  private chainOk = true;
  private finished = false;
  private readonly input: Omit<ReplayInput, "events">;

  constructor(input: Omit<ReplayInput, "events">) {
    const lookahead = input.lookaheadEvents ?? LATE_FACTS_LOOKAHEAD_EVENTS;
    if (!Number.isSafeInteger(lookahead) || lookahead < 0 || lookahead > MAX_LOOKAHEAD_EVENTS)
      throw new RangeError(
        `lookaheadEvents must be a whole number in [0, ${MAX_LOOKAHEAD_EVENTS}], got ${lookahead}`,
      );
    this.lookaheadEvents = lookahead;
    this.engine = new Engine({
      keepLog: false,
      lateFactsAfter: input.everyLateFact === true ? -1 : Number.MAX_SAFE_INTEGER,
    });
    this.input = input;
    this.close = input.close;
    this.chainHeadFound = input.close.throughPosition === 0 ? GENESIS_HASH : "";
  }

  /** The next stored event, in global order. */
  push(event: RecordedEventLike): void {
    this.pushParsed(event, this.parse(event));
  }

  /**
   * The next stored events, in global order: the same as pushing them one by one (same findings, same
   * order), with the page's events validated before any is replayed (see toEngineInputs for why).
   */
  pushPage(events: readonly RecordedEventLike[]): void {
    const parsed = events.map((event) => this.parse(event));
    events.forEach((event, i) => {
      this.pushParsed(event, parsed[i]);
    });
  }

  /** The event as the engine reads it, or why it cannot be; undefined past the close (never replayed). */
  private parse(event: RecordedEventLike): Parsed {
    if (event.globalPosition > this.close.throughPosition) return undefined;
    try {
      return { event: toDomainEvent(event) };
    } catch (error) {
      return { error };
    }
  }

  /** Holds the event back (see lookaheadEvents); a close among them asks for the touches after its position. */
  private pushParsed(event: RecordedEventLike, parsed: Parsed): void {
    if (parsed !== undefined && "event" in parsed && parsed.event.type === "PeriodClosed") {
      const through = parsed.event.data.throughPosition;
      // Thrown here, not at finish: the rest of this replay is wasted, and the caller's second read starts now.
      if (!this.engine.recordLateFactsAfter(through))
        throw new LateFactsMissedError(event.globalPosition, through);
    }
    const chainFinding = this.checkLink(event);
    if (event.globalPosition === this.close.throughPosition) this.chainHeadFound = event.hash;
    // Beyond the close (parsed is undefined) only the chain is walked, as verifyChain does: nothing to hold.
    if (parsed === undefined) return;
    this.pending.push({ position: event.globalPosition, eventId: event.eventId, parsed, chainFinding });
    this.settlePending(this.lookaheadEvents);
  }

  /**
   * The event's link in the hash chain, checked in log order as it is pushed; the finding for the first
   * broken link through the close (a broken link after the close is chainAfterClose's to report).
   */
  private checkLink(event: RecordedEventLike): VerifyFinding | undefined {
    if (!this.chainOk || this.chain.push(event)) return undefined;
    this.chainOk = false;
    const r = this.chain.result();
    if (r.ok || event.globalPosition > this.close.throughPosition) return undefined;
    this.brokenAt = r.position;
    return {
      check: "chain",
      position: r.position,
      detail: `the stored event at position ${r.position} fails the hash chain (${r.reason}): expected ${r.expected}, found ${r.found}`,
    };
  }

  /** Applies held-back events, oldest first, until at most `keep` are left. */
  private settlePending(keep: number): void {
    while (this.pending.length - this.pendingHead > keep) {
      const pending = this.pending[this.pendingHead] as Pending;
      this.pending[this.pendingHead] = undefined;
      this.pendingHead += 1;
      this.settle(pending);
    }
    // Drop the settled prefix now and then: shifting one by one would copy the list per event.
    if (this.pendingHead > 4_096 && this.pendingHead * 2 > this.pending.length) {
      this.pending = this.pending.slice(this.pendingHead);
      this.pendingHead = 0;
    }
  }

  private settle({ position, eventId, parsed, chainFinding }: Pending): void {
    if (chainFinding !== undefined) this.findings.push(chainFinding);
    try {
      if ("error" in parsed) throw parsed.error;
      this.engine.apply({ globalPosition: position, event: parsed.event });
      this.replayed += 1;
    } catch (error) {
      const detail = error instanceof EventValidationError ? error.message : (error as Error).message;
      this.findings.push({
        check: "event",
        position,
        detail: `event ${eventId} cannot be replayed: ${detail}`,
      });
    }
  }

  /**
   * The hash chain over every event pushed, the close's and the later ones (the first break, if any):
   * the same answer as the store's `verifyChain()` when the whole log was pushed.
   */
  chainAfterClose(): BundleChainVerification {
    this.settlePending(0);
    return this.chain.result();
  }

  /** Compares the replay with the close; call once, after the last event through the close's position. */
  finish(): VerifyReport {
    if (this.finished) throw new Error("CloseReplay.finish was already called");
    this.finished = true;
    this.settlePending(0);
    const close = this.close;
    const findings = this.findings;
    const engine = this.engine;
    const input = this.input;
    const chainHeadFound = this.chainHeadFound;
    const replayed = this.replayed;
    const brokenAt = this.brokenAt;
    if (chainHeadFound !== close.chainHead) {
      findings.push({
        check: "chain_head",
        position: close.throughPosition,
        detail: `the hash at position ${close.throughPosition} is ${chainHeadFound || "missing"}, the close recorded ${close.chainHead}`,
      });
    }

    // Each statement is digested as it is computed and let go: a period's statements held at once were
    // several GiB at 10,000 reps. A statement that differs is computed again (a pure function of the same
    // facts) to name its first differing line.
    const recomputed = new Map<string, PayoutRunStatement>();
    for (const s of engine.eachStatement(close.period)) recomputed.set(s.repId, summarise(s));
    let divergence: Divergence | undefined;
    const recordedReps = new Set(close.statements.map((s) => s.repId));
    const digests: { repId: string; digest: string }[] = [];
    for (const line of [...close.statements].sort((a, b) =>
      a.repId < b.repId ? -1 : a.repId > b.repId ? 1 : 0,
    )) {
      const s = recomputed.get(line.repId);
      if (s === undefined) {
        const d = { repId: line.repId, line: "statement", expected: line.digest, found: "absent" };
        divergence ??= d;
        findings.push({
          check: "statement",
          detail: `rep ${line.repId}: the close has a statement, the replay has none`,
        });
        continue;
      }
      const { digest, payable } = s;
      digests.push({ repId: line.repId, digest });
      if (digest === line.digest) continue;
      const reference = input.reference?.(line.repId);
      const named =
        reference !== undefined && statementDigest(reference) === line.digest
          ? firstDifferingLine(reference, engine.statement(line.repId, close.period))
          : undefined;
      const d: Divergence =
        named ??
        (payable !== line.payable
          ? { repId: line.repId, line: "payable", expected: line.payable, found: payable }
          : { repId: line.repId, line: "digest", expected: line.digest, found: digest });
      divergence ??= d;
      findings.push({
        check: "statement",
        detail: `rep ${line.repId}: statement digest ${digest} differs from the recorded ${line.digest} (${d.line}: expected ${d.expected}, found ${d.found})`,
      });
    }
    for (const repId of [...recomputed.keys()].sort()) {
      if (recordedReps.has(repId)) continue;
      const { digest } = recomputed.get(repId) as PayoutRunStatement;
      digests.push({ repId, digest });
      divergence ??= { repId, line: "statement", expected: "absent", found: digest };
      findings.push({
        check: "statement",
        detail: `rep ${repId}: the replay has a statement the close did not record`,
      });
    }
    const root = merkleRoot(digests);
    if (root !== close.merkleRoot) {
      findings.push({
        check: "merkle_root",
        detail: `recomputed root ${root}, the close recorded ${close.merkleRoot}`,
      });
    }
    if (close.engineVersion !== ENGINE_VERSION) {
      // Not a failure by itself: a newer engine that reproduces the digests is fine; one that does not is explained.
      if (findings.length > 0)
        findings.push({
          check: "engine_version",
          detail: `closed by ${close.engineVersion}, replayed with ${ENGINE_VERSION}`,
        });
    }
    return {
      period: close.period,
      status: findings.length === 0 ? "reproduced" : "diverged",
      closeEventId: input.closeEventId,
      closePosition: input.closePosition,
      throughPosition: close.throughPosition,
      statementsChecked: close.statements.length,
      eventsReplayed: replayed,
      merkleRoot: { recorded: close.merkleRoot, recomputed: root },
      chainHead: { recorded: close.chainHead, found: chainHeadFound },
      engineVersion: { recorded: close.engineVersion, current: ENGINE_VERSION },
      ...(divergence === undefined ? {} : { divergence }),
      ...(brokenAt === undefined ? {} : { brokenAt }),
      findings,
    };
  }
}

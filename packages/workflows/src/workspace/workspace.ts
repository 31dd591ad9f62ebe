import type { Writable } from "node:stream";
import { AUDIT_BUNDLE_FORMAT, inclusionProof, type MerkleProof, type RecordedEventLike } from "@icm/audit";
import {
  type CalculationException,
  Engine,
  type EntryExplanation,
  explainEntry,
  parsePeriodId,
  type RecordedDomainEvent,
  type Statement,
  validateEvent,
  type WhatIfDeal,
  type WhatIfResult,
} from "@icm/engine";
import {
  type ChainHead,
  type EventStore,
  type EventToAppend,
  isExpectedVersionConflict,
  isIdempotencyConflict,
  MAX_APPEND_BATCH,
  NO_CONCURRENCY_CHECK,
  type RecordedEvent,
  STREAM_DOES_NOT_EXIST,
} from "@icm/event-store";
import { type DomainEvent, EventValidationError, type JsonObject, streamIdFor } from "@icm/events";
import { verifyBundleFile, writeBundle } from "../audit-replay/bundle.js";
import { CloseReplay, LateFactsMissedError, type VerifyReport } from "../audit-replay/replay.js";
import {
  type CloseBy,
  type CloseLines,
  type CloseResult,
  closeBodyOf,
  closeEventId,
  closeLinesFrom,
  type PeriodClosedData,
} from "../payout-run/close.js";
import { payrollCsv, payrollStatement } from "../payout-run/payroll.js";
import { type PayoutRunPreview, previewWithCloseLines } from "../payout-run/preview.js";
import { periodSnapshot } from "../payout-run/snapshot.js";
import { type AsOf, LogTimeIndex } from "../statement-queries/as-of.js";
import { diffStatements, type StatementDiff } from "../statement-queries/diff.js";
import { CloseRefusedError, InvalidInputError, NotFoundError } from "./errors.js";
import { processHeapGrowth } from "./heap-growth.js";
import { MAX_PAGES_PER_READ, READ_PAGE_SIZE, readLogPages, toEngineInput, toEngineInputs } from "./log.js";

/** Events validated and appended per `record` call at most; bigger imports are split by the caller. */
export const MAX_RECORD_BATCH = 100_000;
/** Tries to take a consistent (position, chain head) snapshot for a close while others are writing. */
const MAX_CLOSE_SNAPSHOT_ATTEMPTS = 10;

export interface RecordResult {
  /** Events newly appended. */
  readonly recorded: number;
  /** Events the log already had with identical content (a retry): nothing written. */
  readonly duplicates: number;
  /** The log position after the call (the workspace has applied everything through it). */
  readonly lastPosition: number;
}

export interface WorkspaceOptions {
  readonly store: EventStore;
}

/** The stream a period's close is appended to (streamIdFor of a PeriodClosed). */
const closeStreamId = (period: string): string => `close-${period}`;
/** A close stream holds one event; a few more are read in case something else was appended to it. */
const MAX_CLOSE_STREAM_EVENTS = 16;

export interface StoredClose {
  readonly eventId: string;
  readonly position: number;
  readonly data: PeriodClosedData;
}

const toAppend = (event: DomainEvent): EventToAppend => ({
  eventId: event.eventId,
  type: event.type,
  schemaVersion: event.schemaVersion,
  data: event.data as unknown as JsonObject,
  metadata: event.metadata as JsonObject,
});

/**
 * The application layer: one event store and one in-memory Engine kept in step with it. Every use case of
 * finance (preview, close, payroll export), reps and managers (statements, explain, as-of, diff, what-if)
 * and auditors (verify, proof, bundle) goes through here; the CLI and the HTTP API are thin shells over it.
 *
 * Reads answer from the engine as of the last `refresh()`; writes (`record`, `close`) append to the store
 * and then refresh, so a caller sees its own writes. The workspace does not own the store: close it yourself.
 */
export class IcmWorkspace {
  private readonly engine = new Engine();
  private readonly recordedAt = new LogTimeIndex();
  private readonly closes = new Map<string, StoredClose>();
  /** The last preview's close lines, valid while `applied` has not moved (see closeSnapshot). */
  private lastPreview:
    | {
        readonly period: string;
        readonly applied: number;
        readonly exceptions: readonly CalculationException[];
        readonly closeLines: CloseLines;
      }
    | undefined;
  /** Last log position applied (0 = nothing yet). */
  private applied = 0;
  /** Serialises refreshes and writes: the engine requires increasing positions, applied once. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(readonly store: EventStore) {}

  /** Replays the whole log into a fresh engine; call `refresh()` later to follow new events. */
  static async open(options: WorkspaceOptions): Promise<IcmWorkspace> {
    const workspace = new IcmWorkspace(options.store);
    await workspace.refresh();
    return workspace;
  }

  /** The last log position applied. */
  get lastPosition(): number {
    return this.applied;
  }

  /** Applies events recorded since the last refresh; returns the last position applied. */
  refresh(): Promise<number> {
    return this.exclusive(() => this.catchUp());
  }

  /**
   * Validates events (schema and plan definitions) and appends them in the given order, each on its entity's
   * stream. Idempotent by eventId: re-recording identical events writes nothing and counts them as
   * duplicates. Throws InvalidInputError (naming the event, field and rule) before writing anything when
   * any event is invalid. Written with one appendMany (one store transaction) per MAX_APPEND_BATCH events;
   * if the store refuses an event (its id already recorded with other content) that typed error is thrown
   * once its chunk is done, and the chunk's other events are recorded.
   */
  async record(events: readonly unknown[]): Promise<RecordResult> {
    if (events.length > MAX_RECORD_BATCH)
      throw new InvalidInputError(`at most ${MAX_RECORD_BATCH} events per call, got ${events.length}`);
    const valid: DomainEvent[] = [];
    const issues: { path: string; rule: string }[] = [];
    events.forEach((raw, i) => {
      const parsed = validateEvent(raw);
      if (parsed.ok) valid.push(parsed.value);
      else for (const issue of parsed.issues) issues.push({ path: `[${i}].${issue.path}`, rule: issue.rule });
    });
    if (issues.length > 0) {
      throw new InvalidInputError(
        `${issues.length} problem(s): ${issues
          .slice(0, 5)
          .map((x) => `${x.path}: ${x.rule}`)
          .join("; ")}`,
        issues,
      );
    }
    return this.exclusive(async () => {
      let recorded = 0;
      let duplicates = 0;
      // One single-event item per event, MAX_APPEND_BATCH per appendMany (one store transaction): the log
      // order is the given order, and an event is either recorded or an idempotent duplicate on its own, so
      // a retried import that stopped half-way needs no special case.
      for (let start = 0; start < valid.length; start += MAX_APPEND_BATCH) {
        const chunk = valid.slice(start, start + MAX_APPEND_BATCH);
        const outcomes = await this.store.appendMany(
          chunk.map((event) => ({
            streamId: streamIdFor(event),
            events: [toAppend(event)],
            expectedRevision: NO_CONCURRENCY_CHECK,
          })),
        );
        for (const outcome of outcomes) {
          // Items are independent: the events around a refused one (an id reused with other content) are
          // recorded all the same, and re-recording them after a fix counts them as duplicates.
          if (!outcome.ok) throw outcome.error;
          if (outcome.result.idempotentReplay) duplicates += 1;
          else recorded += 1;
        }
      }
      const lastPosition = await this.catchUp();
      return { recorded, duplicates, lastPosition };
    });
  }

  /** The draft payout run: every statement with its payable and digest, totals per currency, open exceptions. */
  preview(period: string): PayoutRunPreview {
    this.assertPeriod(period);
    const { preview, closeLines } = previewWithCloseLines(this.engine, period);
    // Finance previews, then closes: remember what the close would record at this position (one entry,
    // a few hundred bytes per rep) so the close does not compute every statement again.
    this.lastPreview = { period, applied: this.applied, exceptions: preview.exceptions, closeLines };
    return preview;
  }

  /**
   * Closes a period: refused (CloseRefusedError) while exceptions affecting it are open, unless `by.override`
   * gives a reason, which is recorded with the exceptions it overrode. Appends PeriodClosed computed through
   * the current head. Closing a closed period is a no-op that returns the first close.
   */
  async close(period: string, by: CloseBy): Promise<CloseResult> {
    this.assertPeriod(period);
    if (by.actor.trim() === "") throw new InvalidInputError("a close needs an actor");
    if (by.override !== undefined && by.override.reason.trim() === "")
      throw new InvalidInputError("an override must say why");
    return this.exclusive(async () => {
      // Cheap part, retried: a (position, chain head) pair that the engine has applied exactly. The
      // expensive part (every statement of the period) runs once per call, after the snapshot settled.
      let head: ChainHead | undefined;
      let seen = "";
      for (let attempt = 0; attempt < MAX_CLOSE_SNAPSHOT_ATTEMPTS && head === undefined; attempt += 1) {
        await this.catchUp();
        const existing = this.closes.get(period);
        if (existing !== undefined) return this.closeResult(existing, true);
        const found = await this.store.head();
        // Another writer appended after the catch-up: apply through exactly that head and check again.
        if (found.globalPosition > this.applied) await this.catchUp(found.globalPosition);
        if (found.globalPosition === this.applied) head = found;
        else seen = `the store's head is at ${found.globalPosition}, the workspace applied ${this.applied}`;
      }
      if (head === undefined)
        throw new Error(
          `could not take a consistent snapshot to close ${period} in ${MAX_CLOSE_SNAPSHOT_ATTEMPTS} attempts: ${seen}`,
        );
      const existing = this.closes.get(period);
      if (existing !== undefined) return this.closeResult(existing, true);
      const { exceptions, closeLines } = this.closeSnapshot(period, head.globalPosition);
      if (exceptions.length > 0 && by.override === undefined)
        throw new CloseRefusedError(period, [...exceptions]);
      const data = closeBodyOf(closeLines, {
        period,
        throughPosition: head.globalPosition,
        chainHead: head.hash,
        by,
        exceptions,
      });
      const event = validateEvent({
        eventId: closeEventId(period),
        type: "PeriodClosed",
        schemaVersion: 1,
        data,
        metadata: { source: "icm-workflows", actor: by.actor },
      });
      if (!event.ok) throw new EventValidationError(event.issues);
      let replayed: boolean;
      try {
        const appended = await this.store.append(
          closeStreamId(period),
          [toAppend(event.value)],
          STREAM_DOES_NOT_EXIST,
        );
        replayed = appended.idempotentReplay;
      } catch (error) {
        // Someone else closed the period first (same deterministic event id or stream): theirs is the close.
        // Read it back; computing ours again would only collide again.
        if (!isExpectedVersionConflict(error) && !isIdempotencyConflict(error)) throw error;
        await this.catchUp();
        const theirs = this.closes.get(period);
        if (theirs !== undefined) return this.closeResult(theirs, true);
        throw new Error(
          `the close of ${period} collided with an event already in the store (${(error as Error).message}) that is not a PeriodClosed of ${period}`,
        );
      }
      await this.catchUp();
      const stored = this.closes.get(period);
      if (stored === undefined) throw new Error(`the close of ${period} was appended but not read back`);
      return this.closeResult(stored, replayed);
    });
  }

  /**
   * The period's exceptions and close lines at `position`, which the engine has applied exactly: the last
   * preview's when nothing was applied since (statements are a pure function of the log through a
   * position, so they are the same), else computed now, every statement once.
   */
  private closeSnapshot(
    period: string,
    position: number,
  ): { exceptions: readonly CalculationException[]; closeLines: CloseLines } {
    const remembered = this.lastPreview;
    if (remembered !== undefined && remembered.period === period && remembered.applied === position)
      return remembered;
    const snapshot = periodSnapshot(this.engine, period, position);
    return { exceptions: snapshot.exceptions, closeLines: closeLinesFrom(snapshot) };
  }

  /** The recorded close of a period, if any (the first one). */
  closeOf(period: string): CloseResult | undefined {
    const c = this.closes.get(period);
    return c === undefined ? undefined : this.closeResult(c, true);
  }

  /** Periods closed so far, in log order. */
  closedPeriods(): CloseResult[] {
    return [...this.closes.values()]
      .sort((a, b) => a.position - b.position)
      .map((c) => this.closeResult(c, true));
  }

  /** The payroll CSV of a period (frozen statements once closed). */
  payrollCsv(period: string): string {
    this.assertPeriod(period);
    // Only the totals of each statement are read: keep those, not every statement's lines at once.
    return payrollCsv(Array.from(this.engine.eachStatement(period), payrollStatement));
  }

  /** Every statement of a period (now, or as of a position / time). */
  statements(period: string, asOf: AsOf = {}): Statement[] {
    this.assertPeriod(period);
    return this.engine.statements(period, this.asOfOptions(asOf));
  }

  /** A rep's statement with every line's trace; as of a past log position or time when asked. */
  statement(repId: string, period: string, asOf: AsOf = {}): Statement {
    this.assertPeriod(period);
    return this.engine.statement(repId, period, this.asOfOptions(asOf));
  }

  /** The log position an as-of resolves to. */
  positionOf(asOf: AsOf): number {
    if (asOf.position !== undefined && asOf.time !== undefined)
      throw new InvalidInputError("as of a position or a time, not both");
    if (asOf.time !== undefined) {
      try {
        return this.recordedAt.positionAt(asOf.time);
      } catch (error) {
        throw new InvalidInputError((error as Error).message);
      }
    }
    if (asOf.position !== undefined) {
      if (!Number.isSafeInteger(asOf.position) || asOf.position < 0)
        throw new InvalidInputError(`a log position is a whole number >= 0, got ${asOf.position}`);
      return Math.min(asOf.position, this.applied);
    }
    return this.applied;
  }

  /** One line of a statement with its full trace. */
  explain(repId: string, period: string, entryId: string, asOf: AsOf = {}): EntryExplanation {
    const explained = explainEntry(this.statement(repId, period, asOf), entryId);
    if (explained === undefined)
      throw new NotFoundError(`statement ${repId} ${period} has no entry ${JSON.stringify(entryId)}`);
    return explained;
  }

  /** What changed on a statement between two log positions, and which events did it. */
  diff(repId: string, period: string, fromPosition: number, toPosition: number): StatementDiff {
    const from = this.positionOf({ position: fromPosition });
    const to = this.positionOf({ position: toPosition });
    if (from > to) throw new InvalidInputError(`--from ${fromPosition} is after --to ${toPosition}`);
    const before = this.statement(repId, period, { position: from });
    const after = this.statement(repId, period, { position: to });
    const between = this.engine.recordedBetween(from, to);
    const dealIds = this.engine.facts.allDealsOf(repId).map((d) => d.dealId);
    return diffStatements(before, after, between, { from, to }, dealIds);
  }

  /** What a hypothetical deal would pay the rep, by the same engine; nothing is recorded. */
  whatIf(repId: string, deal: WhatIfDeal): WhatIfResult {
    try {
      return this.engine.whatIf(repId, deal);
    } catch (error) {
      if (error instanceof EventValidationError) throw new InvalidInputError(error.message, error.issues);
      throw error;
    }
  }

  /**
   * Replays the log up to the close's position in a FRESH engine, recomputes every statement and compares
   * digests, Merkle root and chain head; also walks the whole stored chain. Reads the store, not this
   * workspace's memory, so an edit behind the store's back is caught; this workspace's statements (loaded
   * before the edit) name the first line that differs.
   */
  async verify(period: string): Promise<VerifyReport> {
    const close = this.requireClose(period);
    return verifyStoredClose(this.store, close, {
      reference: (repId) => {
        try {
          return this.engine.statement(repId, period, { throughPosition: close.data.throughPosition });
        } catch {
          return undefined;
        }
      },
    });
  }

  /**
   * `verify` straight from a store, without opening a workspace: what an auditor's fresh process needs (the
   * `icm verify` command). Opening one first replayed the whole log into it only to find the close, so the
   * log was replayed twice. A statement that differs is named by digest and payable, not by first line: a
   * workspace opened from the same store would hold the same edits, so it could not name one either.
   */
  static async verifyStored(store: EventStore, period: string): Promise<VerifyReport> {
    return verifyStoredClose(store, await requireStoredClose(store, period));
  }

  /** An offline-checkable proof that the rep's statement digest is in the close's Merkle root. */
  proof(period: string, repId: string): MerkleProof {
    return proofIn(this.requireClose(period), repId);
  }

  /** `proof` straight from a store: the close event is all it needs (the `icm proof` command). */
  static async proofStored(store: EventStore, period: string, repId: string): Promise<MerkleProof> {
    return proofIn(await requireStoredClose(store, period), repId);
  }

  /** Writes the audit bundle of a closed period (the whole log to the current head) to a stream or a file. */
  async exportBundle(period: string, out: Writable | string): Promise<void> {
    await writeStoredBundle(this.store, this.requireClose(period), out);
  }

  /**
   * `exportBundle` straight from a store (the `icm bundle` command): the close and one streamed read of the
   * log. Returns the position of the last event written.
   */
  static async exportBundleStored(
    store: EventStore,
    period: string,
    out: Writable | string,
  ): Promise<number> {
    return writeStoredBundle(store, await requireStoredClose(store, period), out);
  }

  /** Verifies an audit bundle file on its own: no store, no workspace. */
  static verifyBundle(path: string): Promise<VerifyReport> {
    return verifyBundleFile(path);
  }

  /** Reps reporting to the manager through the hierarchy: on `date` when given, else ever. Sorted. */
  team(managerId: string, date?: string): string[] {
    const { facts } = this.engine;
    if (date === undefined) return facts.everReportsOf(managerId);
    return facts
      .repIds()
      .filter((repId) => this.isInTeam(managerId, repId, date))
      .sort();
  }

  /**
   * Is `repId` below `managerId` in the chain effective on `date`? The same answer as
   * `team(managerId, date).includes(repId)`, from one chain walk instead of one per known rep: the API asks
   * it on every manager's request.
   */
  isInTeam(managerId: string, repId: string, date: string): boolean {
    const { facts } = this.engine;
    return (
      repId !== managerId &&
      facts.isKnownRep(repId) &&
      facts.hierarchy.chainOn(repId, date).includes(managerId)
    );
  }

  /** Known rep ids, sorted. */
  reps(): string[] {
    return [...this.engine.facts.repIds()].sort();
  }

  /** Open exceptions touching the period. */
  exceptions(period: string): CalculationException[] {
    this.assertPeriod(period);
    return this.engine.periodExceptions(period);
  }

  /** The engine behind the workspace, read-only use (e.g. for payout periods of a rep). */
  get engineView(): Engine {
    return this.engine;
  }

  private requireClose(period: string): StoredClose {
    this.assertPeriod(period);
    const close = this.closes.get(period);
    if (close === undefined) throw new NotFoundError(`period ${period} is not closed`);
    return close;
  }

  private closeResult(c: StoredClose, alreadyClosed: boolean): CloseResult {
    return { period: c.data.period, eventId: c.eventId, position: c.position, alreadyClosed, close: c.data };
  }

  private assertPeriod(period: string): void {
    try {
      parsePeriodId(this.engine.facts.calendar(), period);
    } catch (error) {
      throw new InvalidInputError(
        `${JSON.stringify(period)} is not a period id: ${(error as Error).message}`,
      );
    }
  }

  private asOfOptions(asOf: AsOf): { throughPosition?: number } {
    if (asOf.position === undefined && asOf.time === undefined) return {};
    return { throughPosition: this.positionOf(asOf) };
  }

  /** Applies what the store has after the last applied position: to the end, or through `through`. */
  private async catchUp(through?: number): Promise<number> {
    const range = through === undefined ? { after: this.applied } : { after: this.applied, through };
    await readLogPages(this.store, range, (page) => {
      // Validated page by page (see toEngineInputs); what precedes an invalid event is applied, as before.
      const { inputs, error } = toEngineInputs(page);
      for (let i = 0; i < inputs.length; i += 1) {
        const recorded = inputs[i] as RecordedDomainEvent;
        const stored = page[i] as RecordedEvent;
        this.engine.apply(recorded);
        this.applied = stored.globalPosition;
        this.recordedAt.add(stored.globalPosition, stored.recordedAt);
        if (recorded.event.type === "PeriodClosed" && !this.closes.has(recorded.event.data.period)) {
          this.closes.set(recorded.event.data.period, {
            eventId: recorded.event.eventId,
            position: stored.globalPosition,
            data: recorded.event.data,
          });
        }
      }
      if (error !== undefined) throw error;
    });
    return this.applied;
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** The first PeriodClosed of the period (the close), read from its stream; undefined if it is not closed. */
async function storedCloseOf(store: EventStore, period: string): Promise<StoredClose | undefined> {
  const { events } = await store.readStream(closeStreamId(period), { maxCount: MAX_CLOSE_STREAM_EVENTS });
  for (const stored of events) {
    if (stored.type !== "PeriodClosed") continue;
    const event = toEngineInput(stored).event;
    if (event.type === "PeriodClosed" && event.data.period === period)
      return { eventId: event.eventId, position: stored.globalPosition, data: event.data };
  }
  return undefined;
}

async function requireStoredClose(store: EventStore, period: string): Promise<StoredClose> {
  const close = await storedCloseOf(store, period);
  if (close === undefined) throw new NotFoundError(`period ${period} is not closed`);
  return close;
}

function proofIn(close: StoredClose, repId: string): MerkleProof {
  if (!close.data.statements.some((s) => s.repId === repId))
    throw new NotFoundError(`the close of ${close.data.period} has no statement for ${repId}`);
  return inclusionProof(
    close.data.statements.map((s) => ({ repId: s.repId, digest: s.digest })),
    repId,
  );
}

/** The audit bundle: the close, then every stored event through the head as it is now. Returns the head. */
async function writeStoredBundle(
  store: EventStore,
  close: StoredClose,
  out: Writable | string,
): Promise<number> {
  const head = await store.head();
  async function* events(): AsyncGenerator<RecordedEventLike> {
    let after = 0;
    for (let page = 0; page < MAX_PAGES_PER_READ; page += 1) {
      const result = await store.readAll({ after, limit: READ_PAGE_SIZE });
      for (const e of result.events) {
        if (e.globalPosition > head.globalPosition) return;
        yield e;
      }
      after = result.checkpoint;
      if (result.isEnd || result.events.length === 0 || after >= head.globalPosition) return;
    }
  }
  await writeBundle(
    { format: AUDIT_BUNDLE_FORMAT, close: close.data, closeEventId: close.eventId, chainHead: head },
    events(),
    out,
  );
  return head.globalPosition;
}

/**
 * One streamed read of the whole stored log (pages, nothing held): events through the close are replayed in
 * a fresh engine, and every event's hash link is checked, the later ones too, which is the walk
 * `store.verifyChain()` would do with a second read of the log.
 */
export async function verifyStoredClose(
  store: EventStore,
  close: StoredClose,
  options: {
    readonly reference?: (repId: string) => Statement | undefined;
    /** See ReplayInput.lookaheadEvents (tests make it small to exercise the second read). */
    readonly lookaheadEvents?: number;
  } = {},
): Promise<VerifyReport> {
  const input = {
    close: close.data,
    closeEventId: close.eventId,
    closePosition: close.position,
    ...(options.reference === undefined ? {} : { reference: options.reference }),
    ...(options.lookaheadEvents === undefined ? {} : { lookaheadEvents: options.lookaheadEvents }),
  };
  const run = async (everyLateFact: boolean) => {
    const replay = new CloseReplay({ ...input, everyLateFact });
    await readLogPages(store, { after: 0, heapGrowth: processHeapGrowth }, (page) => replay.pushPage(page));
    return { replay, report: replay.finish() };
  };
  // An earlier close recorded long after the position it was computed through: read the log once more,
  // recording every event's touches (see LATE_FACTS_LOOKAHEAD_EVENTS).
  const { replay, report } = await run(false).catch((error: unknown) => {
    if (error instanceof LateFactsMissedError) return run(true);
    throw error;
  });
  const chain = replay.chainAfterClose();
  if (chain.ok) return report;
  if (report.findings.some((f) => f.check === "chain" && f.position === chain.position)) return report;
  return {
    ...report,
    status: "diverged",
    brokenAt: report.brokenAt ?? chain.position,
    findings: [
      ...report.findings,
      {
        check: "chain",
        position: chain.position,
        detail: `the stored log fails the hash chain at position ${chain.position} (${chain.reason}): expected ${chain.expected}, found ${chain.found}`,
      },
    ],
  };
}

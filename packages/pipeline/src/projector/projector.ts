import type { EventStore, ReadAllPage, RecordedEvent } from "@icm/event-store";
import { canonicalDigest, parseEventOrThrow } from "@icm/events";
import type { Logger } from "pino";
import { readRowDigests } from "../read-model/queries.js";
import { periodExceptionRows, type StatementRows, statementRows } from "../read-model/rows.js";
import { migrateReadModel } from "../read-model/schema.js";
import type { SqlTransactional } from "../read-model/sql.js";
import { type CheckpointKey, readCheckpoint, writeBatch } from "../read-model/writer.js";
import type {
  ExceptionView,
  ProjectionEngine,
  RecordedDomainEvent,
  StatementModel,
  StatementView,
} from "./engine-port.js";
import { assertPartition, formatPartition, ownsRep, type Partition, SINGLE_PARTITION } from "./partition.js";

export interface ProjectorLimits {
  /** Events applied before their rows and the checkpoint are committed (one transaction per batch). */
  readonly batchEvents: number;
  /** Reps with changed statements that force a commit even before batchEvents (bounds one transaction). */
  readonly maxDirtyReps: number;
  /** Events per store read. */
  readonly pageSize: number;
  /** How often a caught-up projector looks for new events. */
  readonly pollIntervalMs: number;
  /**
   * Longest an applied event waits for its commit while events keep trickling in: commits are batched for
   * throughput, and this bounds how stale the read models can be.
   */
  readonly maxCommitDelayMs: number;
  /** Consecutive failed reads of the log before the projector gives up (its `done` rejects). */
  readonly maxConsecutiveReadFailures: number;
  /**
   * Events applied before a commit while the projector is behind (the page it applies is not the end of the
   * log). A commit costs per dirty rep, not per event (it recomputes every statement of each), so catching up
   * 1,000 events at a time recomputed each rep's whole history once per 1,000 events. While behind, the read
   * models are stale by the backlog anyway, and fewer commits are what makes it shrink. Bounded because a
   * crash loses the uncommitted events (re-applied after the restart: a few seconds for 50,000); the rows of
   * one transaction stay bounded by maxDirtyReps whatever this is.
   */
  readonly catchUpBatchEvents: number;
  /**
   * Longest an event applied while behind waits for its commit. The live bound (maxCommitDelayMs, 1 s) would
   * commit every second of a catch-up whatever catchUpBatchEvents says; this one keeps a long or slow
   * catch-up showing progress. One commit of every rep's history took 13-20 s at 40 reps with ~1,100 deals
   * each on the shared 2-core test machine (docs/scaling.md), so 30 s keeps such commits a minority of the time.
   */
  readonly catchUpMaxCommitDelayMs: number;
}

export const DEFAULT_PROJECTOR_LIMITS: ProjectorLimits = {
  batchEvents: 1_000,
  maxDirtyReps: 2_000,
  pageSize: 1_000,
  pollIntervalMs: 100,
  maxCommitDelayMs: 1_000,
  maxConsecutiveReadFailures: 10,
  catchUpBatchEvents: 50_000,
  catchUpMaxCommitDelayMs: 30_000,
};

export interface ProjectorOptions<S extends StatementView> {
  readonly store: EventStore;
  /** Same database as the read-model schema; usually the SQL store's executor. */
  readonly sql: SqlTransactional;
  readonly schema: string;
  readonly model: StatementModel<S>;
  /** Checkpoint name; default "statements". */
  readonly projection?: string;
  readonly partition?: Partition;
  readonly limits?: Partial<ProjectorLimits>;
  readonly logger?: Logger;
  /** Test hook: throw inside the commit that follows this many applied events (crash mid-way). */
  readonly failAfterEvents?: number;
}

export interface ProjectorStats {
  /** Events replayed from the log up to the stored checkpoint at start (no writes). */
  replayed: number;
  /** Events applied after the checkpoint. */
  applied: number;
  commits: number;
  rowsWritten: number;
  checkpoint: number;
}

export class InjectedProjectorFailure extends Error {
  override readonly name = "InjectedProjectorFailure";
}

function toDomain(recorded: RecordedEvent): RecordedDomainEvent {
  // Re-parsed on read: upcasts events stored under an older schema version, and refuses a corrupted row.
  const event = parseEventOrThrow({
    eventId: recorded.eventId,
    type: recorded.type,
    schemaVersion: recorded.schemaVersion,
    data: recorded.data,
    metadata: recorded.metadata,
  });
  return { globalPosition: recorded.globalPosition, event };
}

/** Company-wide facts after which every statement this instance has written is recomputed. */
const REFRESH_ALL_TYPES: ReadonlySet<string> = new Set([
  "PeriodClosed",
  "CalendarConfigured",
  "PlanVersionPublished",
]);

/**
 * Keeps read models in step with the log. The engine holds every fact in memory; each commit replaces the
 * rows of the rep-periods that changed since the last one AND moves the checkpoint, in one transaction, so a
 * crash at any point leaves rows and checkpoint consistent: after a restart the engine is rebuilt from the log
 * up to the checkpoint and the events after it are projected again.
 *
 * Which rows a commit rewrites: the rep-periods `engine.affected` names, plus every period already written
 * for a rep that was affected (a change can move later periods through carried draw and holdback balances),
 * plus everything written after a close, calendar or plan publication. Keys only ever come from `affected`,
 * so the set of rows does not depend on how events were batched, and every row is recomputed after the last
 * event that could change it: a crashed-and-resumed projection ends equal to an uninterrupted one.
 *
 * When commits happen is therefore only a matter of cost and staleness: live (at the end of the log) every
 * batchEvents or maxCommitDelayMs, for fresh read models; behind (after a restart, a rebuild, a burst) every
 * catchUpBatchEvents or catchUpMaxCommitDelayMs, because each commit recomputes every dirty rep's history.
 */
export class Projector<S extends StatementView = StatementView> {
  readonly stats: ProjectorStats = { replayed: 0, applied: 0, commits: 0, rowsWritten: 0, checkpoint: 0 };
  private readonly engine: ProjectionEngine<S>;
  private readonly limits: ProjectorLimits;
  private readonly key: CheckpointKey;
  /** Digest of the rows of every rep-period this instance owns, by rep and period (loaded at open). */
  private readonly written = new Map<string, Map<string, string>>();
  /** Every payout period `affected` ever named, any rep: the periods whose period-level exceptions are kept. */
  private readonly knownPeriods = new Set<string>();
  /** Digest of the period-exception rows last written by this instance (not persisted: rewritten once per start). */
  private readonly periodExceptionDigests = new Map<string, string>();
  /**
   * Partition 0 only: every rep's statement exceptions by period (not only the reps it owns), as of the last
   * commit. The period exceptions are their union plus the company-wide ones; holding them lets a commit
   * recompute only what changed, where a pass over every rep and period at every commit cost a full
   * preview's statements per commit (at 1,000 reps, 12–15 s of a 51–59 s projection in commits of 1,000
   * events). Filled by one such pass at the first commit after a start, after a close, calendar or
   * plan publication, and when a new period appears; in between, a commit recomputes the same keys as the
   * rows (see rowsToRewrite): the periods `affected` named and every period held for a rep it named.
   */
  private repExceptions: Map<string, ReadonlyMap<string, readonly ExceptionView[]>> | undefined;
  /** Partition 0 only: the rep-periods `affected` named since the last commit, any partition's reps. */
  private readonly exceptionsDirty = new Map<string, Set<string>>();
  /** Partition 0 only: how many periods were known when repExceptions was last filled by a full pass. */
  private periodsAtFill = 0;
  private readonly dirty = new Map<string, Set<string>>();
  private refreshAll = false;
  /** Last position fed to the engine; `stats.checkpoint` is the last committed one. */
  private position = 0;
  private pendingEvents = 0;
  /** performance.now() when the oldest uncommitted event was applied (commit pacing only, not a business input). */
  private pendingSince = 0;
  /** The page being applied is not the end of the log: its events count against the catch-up limits. */
  private behind = false;
  /** Uncommitted events applied from the end of the log (live), and when the oldest of them was applied. */
  private livePending = 0;
  private liveSince = 0;

  private constructor(private readonly options: ProjectorOptions<S>) {
    this.limits = { ...DEFAULT_PROJECTOR_LIMITS, ...options.limits };
    if (
      !(
        this.limits.batchEvents >= 1 &&
        this.limits.catchUpBatchEvents >= 1 &&
        this.limits.maxDirtyReps >= 1 &&
        this.limits.pageSize >= 1
      )
    ) {
      throw new RangeError("projector limits must be at least 1");
    }
    const partition = options.partition ?? SINGLE_PARTITION;
    assertPartition(partition);
    this.key = { projection: options.projection ?? "statements", partition };
    this.engine = options.model.createEngine();
  }

  /** Creates the tables if needed, reads the checkpoint and rebuilds the engine's facts up to it (no writes). */
  static async open<S extends StatementView>(options: ProjectorOptions<S>): Promise<Projector<S>> {
    const projector = new Projector(options);
    await migrateReadModel(options.sql, options.schema);
    const checkpoint = await readCheckpoint(options.sql, options.schema, projector.key);
    projector.stats.checkpoint = checkpoint;
    for (const { repId, period, rowsDigest } of await readRowDigests(options.sql, options.schema)) {
      if (ownsRep(projector.key.partition, repId)) setIn(projector.written, repId, period, rowsDigest);
    }
    await projector.replayTo(checkpoint);
    options.logger?.info(
      { partition: formatPartition(projector.key.partition), checkpoint, replayed: projector.stats.replayed },
      "projector rebuilt its facts up to the checkpoint",
    );
    return projector;
  }

  get partition(): Partition {
    return this.key.partition;
  }

  private async replayTo(checkpoint: number): Promise<void> {
    while (this.position < checkpoint) {
      const page = await this.readPage();
      for (const recorded of page.events) {
        // The page may run past the checkpoint: those events are new work, handled like live ones.
        if (recorded.globalPosition <= checkpoint) {
          const domain = toDomain(recorded);
          this.engine.apply(domain);
          for (const { period } of this.engine.affected(domain)) this.knownPeriods.add(period);
          this.position = recorded.globalPosition;
          this.stats.replayed += 1;
        } else {
          await this.handle(recorded);
        }
      }
      if (page.isEnd || page.events.length === 0) {
        if (this.position < checkpoint) {
          // The checkpoint points past the end of the log (a different database, or a truncated log).
          throw new Error(`checkpoint ${checkpoint} is beyond the end of the log (${this.position})`);
        }
        break;
      }
    }
  }

  /**
   * The next page of the log after the last applied event. Whether the projector is behind is decided per
   * page (behind while the page is not the end of the log), so a caught-up projector keeps the live limits.
   */
  private async readPage(): Promise<ReadAllPage> {
    const page = await this.options.store.readAll({ after: this.position, limit: this.limits.pageSize });
    this.behind = page.events.length > 0 && !page.isEnd;
    return page;
  }

  /**
   * Applies one recorded event; commits when the batch is full. Events from a page that is not the end of
   * the log count against the catch-up limits only; events from the end of the log against the live ones
   * too (batchEvents, maxCommitDelayMs), so the tail of a catch-up does not commit its whole backlog at the
   * first live event, and a projector that has never been behind commits exactly as before.
   */
  async handle(recorded: RecordedEvent): Promise<void> {
    if (recorded.globalPosition <= this.position) return; // at-least-once delivery: already applied
    const domain = toDomain(recorded);
    this.engine.apply(domain);
    this.position = recorded.globalPosition;
    if (this.pendingEvents === 0) this.pendingSince = performance.now();
    this.pendingEvents += 1;
    if (!this.behind) {
      if (this.livePending === 0) this.liveSince = performance.now();
      this.livePending += 1;
    }
    this.stats.applied += 1;
    if (REFRESH_ALL_TYPES.has(domain.event.type)) this.refreshAll = true;
    const keepsPeriodExceptions = this.keepsPeriodExceptions;
    for (const { repId, period } of this.engine.affected(domain)) {
      this.knownPeriods.add(period);
      if (ownsRep(this.key.partition, repId)) addTo(this.dirty, repId, period);
      if (keepsPeriodExceptions) addTo(this.exceptionsDirty, repId, period);
    }
    if (
      this.failing() ||
      this.pendingEvents >= this.limits.catchUpBatchEvents ||
      this.livePending >= this.limits.batchEvents ||
      this.dirty.size >= this.limits.maxDirtyReps ||
      this.commitOverdue()
    ) {
      await this.commit();
    }
  }

  private commitOverdue(): boolean {
    if (this.pendingEvents === 0) return false;
    const now = performance.now();
    return (
      now - this.pendingSince >= this.limits.catchUpMaxCommitDelayMs ||
      (this.livePending > 0 && now - this.liveSince >= this.limits.maxCommitDelayMs)
    );
  }

  private failing(): boolean {
    return this.options.failAfterEvents !== undefined && this.stats.applied >= this.options.failAfterEvents;
  }

  /** The rep-periods a commit recomputes, sorted (a batch always writes, and locks, rows in the same order). */
  private rowsToRewrite(): [string, string][] {
    const keys = new Map<string, Set<string>>();
    for (const [repId, periods] of this.dirty) {
      for (const period of periods) addTo(keys, repId, period);
      for (const period of this.written.get(repId)?.keys() ?? []) addTo(keys, repId, period);
    }
    if (this.refreshAll) {
      for (const [repId, periods] of this.written)
        for (const period of periods.keys()) addTo(keys, repId, period);
    }
    const out: [string, string][] = [];
    for (const repId of [...keys.keys()].sort()) {
      for (const period of [...(keys.get(repId) ?? [])].sort()) out.push([repId, period]);
    }
    return out;
  }

  /** Period-level exceptions belong to no rep: partition 0 keeps them (and the statement exceptions they are made of). */
  private get keepsPeriodExceptions(): boolean {
    return this.key.partition.index === 0;
  }

  /**
   * Brings the held statement exceptions up to the engine's position (partition 0) and returns them: a full
   * pass when there is nothing held yet, after a close, calendar or plan publication, or when a period
   * appeared; otherwise the rows' keys (for every rep, owned or not): the periods `affected` named since the
   * last commit and every period held for a rep it named (held: its statement is not empty, as `written` is
   * for rows), taken from `fresh` where this commit's rows computed them. The keys do not depend on how
   * events were batched, as for the rows: a test compares small commits, crashes and partitions with one big
   * commit, and commits of 50 events with a full pass.
   */
  private refreshRepExceptions(
    periods: readonly string[],
    fresh: ReadonlyMap<string, ReadonlyMap<string, readonly ExceptionView[] | null>>,
  ): ReadonlyMap<string, ReadonlyMap<string, readonly ExceptionView[]>> {
    let held = this.repExceptions;
    if (held === undefined || this.refreshAll || periods.length !== this.periodsAtFill) {
      held = new Map(this.engine.statementExceptionsOf(periods));
      this.periodsAtFill = periods.length;
    } else {
      for (const [repId, named] of this.exceptionsDirty) {
        const byPeriod = new Map(held.get(repId));
        const computed = fresh.get(repId);
        for (const period of new Set([...named, ...byPeriod.keys()])) {
          const now = computed?.has(period)
            ? (computed.get(period) ?? null)
            : heldForm(this.engine.statement(repId, period));
          if (now === null) byPeriod.delete(period);
          else byPeriod.set(period, now);
        }
        if (byPeriod.size > 0) held.set(repId, byPeriod);
        else held.delete(repId);
      }
    }
    this.repExceptions = held;
    this.exceptionsDirty.clear();
    return held;
  }

  /** Writes the changed rep-periods and the checkpoint in one transaction. No-op when nothing was applied. */
  async commit(): Promise<void> {
    if (this.position === this.stats.checkpoint) return;
    const statements: StatementRows[] = [];
    const keepsPeriodExceptions = this.keepsPeriodExceptions;
    /** The statements this commit computed for its rows, by rep and period, as the exceptions keep them. */
    const fresh = new Map<string, Map<string, readonly ExceptionView[] | null>>();
    for (const [repId, period] of this.rowsToRewrite()) {
      const statement = this.engine.statement(repId, period);
      if (keepsPeriodExceptions) setIn(fresh, repId, period, heldForm(statement));
      const rows = statementRows(statement, this.options.model.canonical(statement));
      // Recomputed, but written only if some row would change (most of a rep's periods do not).
      if (this.written.get(repId)?.get(period) !== rows.statement.rows_digest) statements.push(rows);
    }
    // Period-level exceptions belong to no rep: partition 0 keeps them, for every period seen so far, so they
    // are always as of the last commit whatever the event that changed them.
    const periodExceptions = new Map<string, readonly object[]>();
    const periodDigests = new Map<string, string>();
    if (keepsPeriodExceptions) {
      const periods = [...this.knownPeriods].sort();
      const held = this.refreshRepExceptions(periods, fresh);
      const exceptionsByPeriod = this.engine.periodExceptionsGiven(periods, function* (period) {
        for (const byPeriod of held.values()) {
          const exceptions = byPeriod.get(period);
          if (exceptions !== undefined && exceptions.length > 0) yield exceptions;
        }
      });
      for (const period of periods) {
        const rows = periodExceptionRows(period, exceptionsByPeriod.get(period) ?? []);
        const digest = canonicalDigest(rows);
        if (this.periodExceptionDigests.get(period) === digest) continue;
        periodExceptions.set(period, rows);
        periodDigests.set(period, digest);
      }
    }
    const from = this.stats.checkpoint;
    const to = this.position;
    const failing = this.failing();
    await this.options.sql.transaction(async (tx) => {
      await writeBatch(tx, this.options.schema, {
        statements,
        periodExceptions,
        checkpoint: { ...this.key, from, to },
      });
      if (failing)
        throw new InjectedProjectorFailure(
          `injected failure after ${this.stats.applied} events, before commit`,
        );
    });
    for (const rows of statements)
      setIn(this.written, rows.statement.rep_id, rows.statement.period, rows.statement.rows_digest);
    for (const [period, digest] of periodDigests) this.periodExceptionDigests.set(period, digest);
    this.stats.commits += 1;
    this.stats.rowsWritten += statements.reduce(
      (sum, s) => sum + 1 + s.entries.length + s.exceptions.length,
      0,
    );
    this.stats.checkpoint = to;
    this.pendingEvents = 0;
    this.livePending = 0;
    this.dirty.clear();
    this.refreshAll = false;
  }

  /** Projects everything committed in the store so far, then commits. Returns the checkpoint reached. */
  async catchUp(): Promise<number> {
    for (;;) {
      const page = await this.readPage();
      for (const recorded of page.events) await this.handle(recorded);
      if (page.isEnd || page.events.length === 0) break;
    }
    await this.commit();
    return this.stats.checkpoint;
  }

  /**
   * Follows the log until `shouldStop()`: reads pages after the last applied position, commits by batch size
   * or age, and when caught up polls every pollIntervalMs. A plain loop over readAll rather than the store's
   * push subscription, so that an idle tick can commit the tail of a burst and commits never overlap.
   */
  async follow(shouldStop: () => boolean, onCaughtUp: (checkpoint: number) => void): Promise<void> {
    let failures = 0;
    let caughtUpOnce = false;
    while (!shouldStop()) {
      let page: ReadAllPage;
      try {
        page = await this.readPage();
        failures = 0;
      } catch (error) {
        failures += 1;
        if (failures >= this.limits.maxConsecutiveReadFailures) throw error;
        this.options.logger?.warn({ err: error, failures }, "reading the log failed; retrying");
        await sleep(Math.min(this.limits.pollIntervalMs * 2 ** failures, 10_000));
        continue;
      }
      for (const recorded of page.events) await this.handle(recorded);
      if (page.events.length > 0 && !page.isEnd) continue;
      // At the end of the log: a batch begun while behind is committed now (the backlog is done), a live
      // tail by age.
      if (!caughtUpOnce || this.pendingEvents > this.livePending || this.commitOverdue()) await this.commit();
      if (!caughtUpOnce) {
        caughtUpOnce = true;
        onCaughtUp(this.stats.checkpoint);
      }
      await sleep(this.limits.pollIntervalMs);
    }
    await this.commit();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** How a statement is held for the period exceptions: its exceptions, or null when it is empty (not held). */
function heldForm(statement: StatementView): readonly ExceptionView[] | null {
  return statement.entries.length > 0 || statement.exceptions.length > 0 ? statement.exceptions : null;
}

function setIn<V>(map: Map<string, Map<string, V>>, key: string, inner: string, value: V): void {
  const found = map.get(key);
  if (found === undefined) map.set(key, new Map([[inner, value]]));
  else found.set(inner, value);
}

function addTo(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key);
  if (set === undefined) map.set(key, new Set([value]));
  else set.add(value);
}

export interface RunningProjector {
  readonly stats: ProjectorStats;
  /** Resolves with the checkpoint the first time the projector has caught up with the log. */
  readonly caughtUp: Promise<number>;
  /** Settles when the projector stops; rejects if it died (store, engine or database error). */
  readonly done: Promise<void>;
  /** Stops following the log after the in-flight event, commits what is pending, and resolves. */
  stop(): Promise<void>;
}

/** Opens a projector and follows the log until stopped. */
export async function startProjector<S extends StatementView>(
  options: ProjectorOptions<S>,
): Promise<RunningProjector> {
  const projector = await Projector.open(options);
  let stopping = false;
  let reachedEnd: (checkpoint: number) => void = () => undefined;
  let failed: (error: unknown) => void = () => undefined;
  const caughtUp = new Promise<number>((resolve, reject) => {
    reachedEnd = resolve;
    failed = reject;
  });
  const done = projector.follow(
    () => stopping,
    (checkpoint) => reachedEnd(checkpoint),
  );
  done.then(
    () => failed(new Error("projector stopped before catching up")),
    (error: unknown) => failed(error),
  );
  // Rejections are the caller's to observe; keep unobserved ones from crashing the process.
  caughtUp.catch(() => undefined);
  done.catch(() => undefined);
  return {
    stats: projector.stats,
    caughtUp,
    done,
    async stop() {
      stopping = true;
      await done;
    },
  };
}

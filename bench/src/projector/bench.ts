import { createHash } from "node:crypto";
import type { EventStore } from "@icm/event-store";
import { createPostgresEventStore, type SqlEventStore } from "@icm/event-store-sql";
import { streamIdFor } from "@icm/events";
import {
  dumpReadModel,
  engineStatementModel,
  Projector,
  type ProjectorLimits,
  type ProjectorStats,
  type SqlTransactional,
  type StatementModel,
  sampleHistory,
  toAppend,
} from "@icm/pipeline";
import { peakRssMiB, perSecond, progress } from "../harness/measure.js";

/**
 * Projector catch-up: a log of `events` already in PostgreSQL, an empty read model, and one projector that
 * follows the log (the path the service and the crash e2e test use) until it has caught up. Reports the rate,
 * the commits, the rows written, the process CPU, and where the wall time went (reading the log, applying
 * events, recomputing statements, canonical encodings, the write transactions, the rest of a commit).
 *
 * The log is `sampleHistory` with 40 reps and a cancellation every 25 deals, the shape of
 * test/pipeline/crash.e2e.spec.ts: few reps with long histories, which is what makes a commit expensive (a
 * commit recomputes every statement of every rep the batch touched).
 */
export interface ProjectorBenchOptions {
  readonly postgresUrl: string;
  readonly reps: number;
  readonly deals: number;
  readonly seed: number;
  /** Projector limits per run, by label; each run projects the same log into a fresh read model. */
  readonly runs: readonly { readonly label: string; readonly limits: Partial<ProjectorLimits> }[];
}

export interface ProjectorRunFigures {
  readonly label: string;
  readonly limits: Partial<ProjectorLimits>;
  readonly events: number;
  readonly wallMs: number;
  readonly eventsPerSecond: number;
  readonly cpuMs: number;
  readonly eventsPerCpuSecond: number;
  readonly commits: number;
  readonly rowsWritten: number;
  readonly statementsComputed: number;
  /** Where the wall time went (ms); `commitOtherMs` is the commit's own work: rows, digests, diffing. */
  readonly readMs: number;
  readonly applyMs: number;
  readonly statementMs: number;
  readonly canonicalMs: number;
  readonly periodExceptionsMs: number;
  readonly writeMs: number;
  readonly commitMs: number;
  readonly commitOtherMs: number;
  /** SHA-256 of the whole read model's dump: equal across runs when batching does not change the rows. */
  readonly readModelDigest: string;
}

/** Events appended per appendMany call (the store's bound is MAX_APPEND_BATCH). */
const APPEND_CHUNK = 2_000;

/** One projector run at a time in a process: the figures are wall times of this thread. */
export async function projectorCatchUp(o: ProjectorBenchOptions): Promise<{
  readonly events: number;
  readonly reps: number;
  readonly deals: number;
  readonly runs: ProjectorRunFigures[];
  readonly peakRssMiB: number;
}> {
  const logSchema = `bench_projector_log_${process.pid}`;
  const store = await createPostgresEventStore({ connectionString: o.postgresUrl, schema: logSchema });
  const readModels: string[] = [];
  try {
    const events = sampleHistory({ reps: o.reps, deals: o.deals, cancelEvery: 25, seed: o.seed });
    progress(`projector: appending ${events.length} events to ${logSchema}`);
    for (let start = 0; start < events.length; start += APPEND_CHUNK) {
      const outcomes = await store.appendMany(
        events.slice(start, start + APPEND_CHUNK).map((event) => ({
          streamId: streamIdFor(event),
          events: [toAppend(event)],
          expectedRevision: "no_concurrency_check" as const,
        })),
      );
      const failed = outcomes.find((outcome) => !outcome.ok);
      if (failed !== undefined && !failed.ok) throw failed.error;
    }
    const runs: ProjectorRunFigures[] = [];
    for (const [index, run] of o.runs.entries()) {
      const schema = `bench_projector_rm_${process.pid}_${index}`;
      readModels.push(schema);
      progress(`projector: run "${run.label}" ${JSON.stringify(run.limits)}`);
      const figures = await measureRun(store, schema, run.label, run.limits);
      progress(`projector: ${JSON.stringify(figures)}`);
      runs.push(figures);
    }
    return { events: events.length, reps: o.reps, deals: o.deals, runs, peakRssMiB: peakRssMiB() };
  } finally {
    for (const schema of [...readModels, logSchema])
      await store.executor.query(`drop schema if exists "${schema}" cascade`);
    await store.close();
  }
}

class Timers {
  readonly ms = { read: 0, apply: 0, statement: 0, canonical: 0, periodExceptions: 0, write: 0, commit: 0 };
  statements = 0;

  time<T>(name: keyof Timers["ms"], work: () => T): T {
    const start = performance.now();
    try {
      return work();
    } finally {
      this.ms[name] += performance.now() - start;
    }
  }

  async timeAsync<T>(name: keyof Timers["ms"], work: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await work();
    } finally {
      this.ms[name] += performance.now() - start;
    }
  }
}

/** The production model, timed: the engine's calls and the canonical encoding. */
function timedModel(timers: Timers): StatementModel {
  return {
    createEngine() {
      const engine = engineStatementModel.createEngine();
      return {
        apply: (recorded) => timers.time("apply", () => engine.apply(recorded)),
        affected: (recorded) => timers.time("apply", () => engine.affected(recorded)),
        statement: (repId, period) => {
          timers.statements += 1;
          return timers.time("statement", () => engine.statement(repId, period));
        },
        statementExceptionsOf: (periods) =>
          timers.time("periodExceptions", () => engine.statementExceptionsOf(periods)),
        periodExceptionsGiven: (periods, statementExceptions) =>
          timers.time("periodExceptions", () => engine.periodExceptionsGiven(periods, statementExceptions)),
      };
    },
    canonical: (statement) =>
      timers.time("canonical", () =>
        engineStatementModel.canonical(statement as Parameters<typeof engineStatementModel.canonical>[0]),
      ),
  };
}

async function measureRun(
  store: SqlEventStore,
  schema: string,
  label: string,
  limits: Partial<ProjectorLimits>,
): Promise<ProjectorRunFigures> {
  const timers = new Timers();
  const timedStore: EventStore = {
    ...store,
    readAll: (options) => timers.timeAsync("read", () => store.readAll(options)),
  };
  const sql: SqlTransactional = {
    query: (text, params) => store.executor.query(text, params),
    transaction: (fn) => timers.timeAsync("write", () => store.executor.transaction(fn)),
  };
  const head = await store.head();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const projector = await Projector.open({
    store: timedStore,
    sql,
    schema,
    model: timedModel(timers),
    limits,
  });
  const commit = projector.commit.bind(projector);
  projector.commit = () => timers.timeAsync("commit", commit);
  let caughtUp = false;
  await projector.follow(
    () => caughtUp,
    (checkpoint) => {
      if (checkpoint !== head.globalPosition)
        throw new Error(`caught up at ${checkpoint}, the log ends at ${head.globalPosition}`);
      caughtUp = true;
    },
  );
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMs = Math.round((cpu.user + cpu.system) / 1000);
  const stats: ProjectorStats = projector.stats;
  const dump = await dumpReadModel(store.executor, schema);
  const round = (ms: number) => Math.round(ms);
  const { read, apply, statement, canonical, periodExceptions, write, commit: commitMs } = timers.ms;
  return {
    label,
    limits,
    events: stats.applied,
    wallMs: round(wallMs),
    eventsPerSecond: perSecond(stats.applied, wallMs),
    cpuMs,
    eventsPerCpuSecond: perSecond(stats.applied, cpuMs),
    commits: stats.commits,
    rowsWritten: stats.rowsWritten,
    statementsComputed: timers.statements,
    readMs: round(read),
    applyMs: round(apply),
    statementMs: round(statement),
    canonicalMs: round(canonical),
    periodExceptionsMs: round(periodExceptions),
    writeMs: round(write),
    commitMs: round(commitMs),
    commitOtherMs: round(commitMs - statement - canonical - periodExceptions - write),
    readModelDigest: createHash("sha256").update(JSON.stringify(dump)).digest("hex"),
  };
}

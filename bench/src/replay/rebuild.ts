import { createHash } from "node:crypto";
import { Engine, statementDigest } from "@icm/engine";
import type { RecordedEvent } from "@icm/event-store";
import { toEngineInputs } from "@icm/workflows";
import { repsOfWorker } from "./balance.js";

/** Which reps a worker computes statements for: the i-th of `count` shares of the estimated work (balance.ts). */
export interface Partition {
  readonly index: number;
  readonly count: number;
}

export interface RebuildFigures {
  readonly events: number;
  readonly reps: number;
  readonly statements: number;
  /** Time reading and applying every event (store reads, validation/upcasting, engine.apply). */
  readonly applyMs: number;
  /** Time computing this partition's ledgers and statements after the last event. */
  readonly statementsMs: number;
  /** Heap in use once every event was applied, and after every statement was built (MiB, this thread). */
  readonly heapAfterApplyMiB: number;
  readonly heapAfterStatementsMiB: number;
  /** "repId|period|digest" per statement, for the cross-check that the partitions add up to one replay. */
  readonly digestLines: string[];
}

/**
 * One replay: every event goes into a fresh Engine (an empty read model), then every ledger and statement
 * of the partition's reps is computed. Stage 1 needs every deal (splits, roll-ups to managers), so each
 * partition applies the whole log; only statements are divided.
 */
export class Rebuild {
  private readonly engine: Engine;
  private events = 0;
  private applyNs = 0n;

  /** `keepLog`: a replay never asks what-if (false); the heap benchmark measures a workspace's engine too. */
  constructor(
    private readonly partition: Partition,
    keepLog = false,
  ) {
    this.engine = new Engine({ keepLog });
  }

  /** The last log position applied. */
  get lastPosition(): number {
    return this.engine.lastPosition;
  }

  apply(page: readonly RecordedEvent[]): void {
    const start = process.hrtime.bigint();
    const { inputs, error } = toEngineInputs(page);
    for (const input of inputs) this.engine.apply(input);
    if (error !== undefined) throw error;
    this.events += page.length;
    this.applyNs += process.hrtime.bigint() - start;
  }

  /** Adds time spent waiting for pages (reads) to the apply phase. */
  addReadNs(ns: bigint): void {
    this.applyNs += ns;
  }

  finish(): RebuildFigures {
    const heapAfterApplyMiB = heapMiB();
    const start = process.hrtime.bigint();
    const facts = this.engine.facts;
    const reps = [...facts.repIds()].sort();
    const digestLines: string[] = [];
    const reportsOf = (repId: string) => facts.everReportsOf(repId).length;
    const mine = repsOfWorker(reps, reportsOf, this.partition.index, this.partition.count);
    mine.forEach((repId) => {
      for (const period of this.engine.payoutPeriodsOf(repId)) {
        const statement = this.engine.statement(repId, period);
        digestLines.push(`${repId}|${period}|${statementDigest(statement)}`);
      }
    });
    const statementsNs = process.hrtime.bigint() - start;
    return {
      events: this.events,
      reps: reps.length,
      statements: digestLines.length,
      applyMs: Math.round(Number(this.applyNs) / 1e6),
      statementsMs: Math.round(Number(statementsNs) / 1e6),
      heapAfterApplyMiB,
      heapAfterStatementsMiB: heapMiB(),
      digestLines,
    };
  }
}

/** Live heap: collects first when the process runs with --expose-gc (the harness starts children so). */
export function heapMiB(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return Math.round(process.memoryUsage().heapUsed / 2 ** 20);
}

/** One digest over every statement, independent of how the reps were partitioned. */
export function combinedDigest(lines: readonly string[]): string {
  const hash = createHash("sha256");
  for (const line of [...lines].sort()) hash.update(`${line}\n`);
  return hash.digest("hex");
}

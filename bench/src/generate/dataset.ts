import { existsSync, mkdirSync, rmSync } from "node:fs";
import { createPgliteEventStore, createPostgresEventStore, type SqlEventStore } from "@icm/event-store-sql";
import type { BenchOptions } from "../harness/options.js";

export type StoreKind = "postgres" | "pglite";

/** Where the generated history of one (seed, reps, deals, quarters) lives, per store. */
export interface DatasetRef {
  readonly kind: StoreKind;
  readonly schema: string;
  /** PGlite only: its durable directory (PGlite is single-process, so each reader opens it in turn). */
  readonly dataDir?: string;
}

export const PGLITE_ROOT = "/tmp/icm-bench";

/**
 * Bumped whenever the generator's events change (plans, org, deals): a kept dataset of an older generator
 * must not be reused as if it were today's. v2: the overlay plan rolls up per report.
 */
const DATASET_VERSION = 2;

/** A valid schema name that identifies the dataset, so a run reuses what an earlier benchmark loaded. */
export function datasetSchema(o: BenchOptions): string {
  const seed = String(o.seed >>> 0);
  return `bench_s${seed}_r${o.reps}_d${o.deals}_q${o.quarters}_${o.startQuarter.replace("-", "").toLowerCase()}_v${DATASET_VERSION}`;
}

export function datasetRef(o: BenchOptions, kind: StoreKind): DatasetRef {
  const schema = datasetSchema(o);
  return kind === "postgres" ? { kind, schema } : { kind, schema, dataDir: `${PGLITE_ROOT}/${schema}` };
}

/** A fixed recording time: the figures must not depend on the wall clock, and as-of-time reads stay monotone. */
export const BENCH_RECORDED_AT = "2027-02-01T00:00:00.000Z";

export async function openStore(ref: DatasetRef, o: BenchOptions, poolSize = 4): Promise<SqlEventStore> {
  const clock = () => BENCH_RECORDED_AT;
  if (ref.kind === "postgres") {
    return createPostgresEventStore({
      connectionString: o.postgresUrl,
      schema: ref.schema,
      clock,
      poolSize,
      listen: false,
    });
  }
  const dataDir = ref.dataDir as string;
  if (!existsSync(dataDir)) mkdirSync(dataDir, { recursive: true });
  return createPgliteEventStore({ dataDir, schema: ref.schema, clock });
}

/** Drops a dataset (the PostgreSQL schema, or the PGlite directory). */
export async function dropDataset(ref: DatasetRef, o: BenchOptions): Promise<void> {
  if (ref.kind === "pglite") {
    rmSync(ref.dataDir as string, { recursive: true, force: true });
    return;
  }
  const pg = await import("pg");
  const client = new pg.default.Client({ connectionString: o.postgresUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${ref.schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

import type { ContractHarness } from "@icm/event-store/contract";
import pg from "pg";
import { createPostgresEventStore } from "../postgres.js";
import { quoteIdentifier } from "../schema/identifiers.js";
import type { SqlEventStore } from "../store/sql-event-store.js";
import { testClock } from "./harness.js";
import { sqlTamper } from "./tamper.js";

/** Runs one statement on a short-lived connection of its own (schema drops, killing the store's backends). */
export async function adminQuery(
  connectionString: string,
  text: string,
  params: unknown[] = [],
): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return await client.query(text, params);
  } finally {
    await client.end();
  }
}

/** Terminates every backend of the stores on `schema` (their pools are named after it). */
export async function terminateStoreBackends(connectionString: string, schema: string): Promise<number> {
  const result = await adminQuery(
    connectionString,
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE application_name = $1 AND pid <> pg_backend_pid()`,
    [`icm-event-store:${schema}`],
  );
  return result.rowCount ?? 0;
}

/** A contract harness on a fresh schema with its own pool; cleanup closes every pool and drops the schema. */
export async function postgresHarness(connectionString: string, schema: string): Promise<ContractHarness> {
  const open = () => createPostgresEventStore({ connectionString, schema, clock: testClock, poolSize: 4 });
  const opened: SqlEventStore[] = [await open()];
  const store = opened[0] as SqlEventStore;
  return {
    store,
    tamper: sqlTamper(store.executor, schema),
    async dropConnections() {
      await terminateStoreBackends(connectionString, schema);
    },
    async reopen() {
      const reopened = await open();
      opened.push(reopened);
      return reopened;
    },
    async cleanup() {
      for (const each of opened) await each.close();
      await adminQuery(connectionString, `DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
    },
  };
}

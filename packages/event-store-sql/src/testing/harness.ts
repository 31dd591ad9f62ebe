import { fixedClock } from "@icm/event-store";
import type { ContractHarness } from "@icm/event-store/contract";
import { borrowExecutor } from "../executor/borrowed.js";
import type { SqlExecutor } from "../executor/types.js";
import { quoteIdentifier } from "../schema/identifiers.js";
import { createSqlEventStore, type SqlEventStore } from "../store/sql-event-store.js";
import { sqlTamper } from "./tamper.js";

/** The fixed clock every SQL test store uses: recordedAt is then deterministic. */
export const testClock = fixedClock("2026-01-01T00:00:00.000Z");

/**
 * A contract harness on a fresh schema of an executor shared by the whole spec file (one PGlite instance
 * takes about a second to start, a schema a few milliseconds). The stores borrow the executor; cleanup
 * closes them and drops the schema.
 */
export async function sharedExecutorHarness(executor: SqlExecutor, schema: string): Promise<ContractHarness> {
  const open = () => createSqlEventStore(borrowExecutor(executor), { schema, clock: testClock });
  const opened: SqlEventStore[] = [await open()];
  return {
    store: opened[0] as SqlEventStore,
    tamper: sqlTamper(executor, schema),
    async reopen() {
      const store = await open();
      opened.push(store);
      return store;
    },
    async cleanup() {
      for (const store of opened) await store.close();
      await executor.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
    },
  };
}

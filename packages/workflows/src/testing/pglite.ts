import type { Clock } from "@icm/event-store";
import {
  borrowExecutor,
  createPgliteDriver,
  createSqlEventStore,
  type SqlDriver,
  type SqlEventStore,
} from "@icm/event-store-sql";
import { uniqueTestName } from "@icm/testing";

/**
 * One embedded PGlite per test file (starting one takes seconds), one schema per test: each test gets a
 * real, empty SQL event store of its own, closed by the test; the file closes the database once.
 */
export class SharedPglite {
  private driver: SqlDriver | undefined;

  async start(): Promise<void> {
    this.driver = await createPgliteDriver({});
  }

  async store(options: { clock?: Clock } = {}): Promise<SqlEventStore> {
    if (this.driver === undefined) throw new Error("SharedPglite.start() first");
    return createSqlEventStore(borrowExecutor(this.driver), { schema: uniqueTestName("wf"), ...options });
  }

  async stop(): Promise<void> {
    await this.driver?.close();
    this.driver = undefined;
  }
}

/** A store clock that ticks one second per event from a fixed instant (as-of-time tests). */
export function tickingClock(startMs = Date.UTC(2026, 3, 1, 9, 0, 0)): Clock {
  let n = 0;
  return () => new Date(startMs + 1000 * n++).toISOString();
}

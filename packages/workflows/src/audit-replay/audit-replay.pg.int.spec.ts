import { createPostgresEventStore, type SqlEventStore } from "@icm/event-store-sql";
import { describeWith, POSTGRES_URL, uniqueTestName } from "@icm/testing";
import { afterEach, beforeEach, it } from "vitest";
import {
  closeAfterConcurrentWriteReproduces,
  invalidEventIsNamed,
  longLogVerifyIsABulkRead,
  proofChecksOffline,
  reformattedEventReproduces,
  tamperIsNamed,
  verifyReproduces,
} from "./audit-scenarios.js";

// The same audit scenarios on a real PostgreSQL server (one schema per test, dropped afterwards).

await describeWith(["postgres"], "audit replay on PostgreSQL", () => {
  let store: SqlEventStore;
  beforeEach(async () => {
    store = await createPostgresEventStore({
      connectionString: POSTGRES_URL,
      schema: uniqueTestName("wf_pg"),
    });
  });
  afterEach(async () => {
    await store.executor.query(`DROP SCHEMA IF EXISTS "${store.schema}" CASCADE`);
    await store.close();
  });

  it("close → verify reproduces", () => verifyReproduces(store));
  it("editing a stored event makes verify fail and name the position", () => tamperIsNamed(store));
  it("editing a stored event into an invalid one is named, page by page as event by event", () =>
    invalidEventIsNamed(store));
  it("a stored event rewritten in another JSON form of the same content still reproduces", () =>
    reformattedEventReproduces(store));
  it("a close recorded after another writer appended past its position reproduces", () =>
    closeAfterConcurrentWriteReproduces(store));
  it("reads a log of more than one page as a bulk read, and reproduces", () =>
    longLogVerifyIsABulkRead(store));
  it("a Merkle proof checks offline", () => proofChecksOffline(store));
});

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NO_CONCURRENCY_CHECK } from "@icm/event-store";
import { readAllEvents, runEventStoreContract, testEvents } from "@icm/event-store/contract";
import { uniqueTestName } from "@icm/testing";
import { afterAll, describe, expect, it } from "vitest";
import { createPgliteDriver } from "./executor/pglite.js";
import type { SqlDriver } from "./executor/types.js";
import { createPgliteEventStore } from "./pglite.js";
import { quoteIdentifier } from "./schema/identifiers.js";
import { sharedExecutorHarness, testClock } from "./testing/harness.js";
import { expectBulkRoundTrip, expectStoredTextsVerify } from "./testing/scenarios.js";

// One PGlite for the contract suite, created lazily: the contract builds a harness while it is collected.
let shared: Promise<SqlDriver> | undefined;
const sharedDriver = () => {
  shared ??= createPgliteDriver({});
  return shared;
};
afterAll(async () => {
  if (shared !== undefined) await (await shared).close();
});

runEventStoreContract("PGlite", async () =>
  sharedExecutorHarness(await sharedDriver(), uniqueTestName("es")),
);

describe("PGlite event store", () => {
  it("with a dataDir, survives close and reopen: same events, intact chain, appends continue the chain", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "icm-pglite-"));
    try {
      const first = await createPgliteEventStore({ dataDir, clock: testClock });
      await first.append("deal-1", testEvents("a", 3), NO_CONCURRENCY_CHECK);
      await first.append("deal-2", testEvents("b", 2), NO_CONCURRENCY_CHECK);
      const before = await readAllEvents(first);
      const headBefore = await first.head();
      await first.close();
      await expect(first.readAll()).rejects.toThrow();

      const second = await createPgliteEventStore({ dataDir, clock: testClock });
      try {
        expect(await readAllEvents(second)).toEqual(before);
        expect(await second.head()).toEqual(headBefore);
        const appended = await second.append("deal-1", testEvents("c", 1), 3);
        expect(appended.nextExpectedRevision).toBe(4);
        const after = await readAllEvents(second);
        expect(after.at(-1)?.prevHash).toBe(headBefore.hash);
        const verification = await second.verifyChain();
        expect(verification.ok).toBe(true);
        expect(verification.checked).toBe(6);
      } finally {
        await second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("round-trips 10,000 events appended in full batches, in order, with an intact chain", async () => {
    const driver = await sharedDriver();
    const harness = await sharedExecutorHarness(driver, uniqueTestName("big"));
    try {
      await expectBulkRoundTrip(harness.store, 10_000);
    } finally {
      await harness.cleanup();
    }
  });

  it("events carry the texts they were read from; the chain is checked over them, another form of the same content still verifies", async () => {
    const driver = await sharedDriver();
    const schema = uniqueTestName("texts");
    const harness = await sharedExecutorHarness(driver, schema);
    try {
      await expectStoredTextsVerify(harness.store, async (globalPosition, text) => {
        await driver.query(
          `UPDATE ${quoteIdentifier(schema)}.${quoteIdentifier("events")} SET data = $2 WHERE global_position = $1::bigint`,
          [String(globalPosition), text],
        );
      });
    } finally {
      await harness.cleanup();
    }
  });
});

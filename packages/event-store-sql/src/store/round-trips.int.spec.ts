import { type AppendManyItem, NO_CONCURRENCY_CHECK } from "@icm/event-store";
import { readAllEvents, testEvents } from "@icm/event-store/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPgliteDriver } from "../executor/pglite.js";
import type { SqlDriver, SqlParam, SqlRow, TransactionOptions } from "../executor/types.js";
import { testClock } from "../testing/harness.js";
import { INSERT_CHUNK_ROWS } from "./insert.js";
import { createSqlEventStore } from "./sql-event-store.js";

/** What one transaction sent: how it began and the statements run inside it. */
interface SeenTransaction {
  readonly afterBegin: string | undefined;
  readonly statements: string[];
}

/**
 * A driver that records every transaction's statements and can rewrite the rows a statement returns (to
 * play a server that breaks a promise). The store under test owns it; closing the store leaves the shared
 * PGlite open (close is a no-op here).
 */
function recordingDriver(
  inner: SqlDriver,
  seen: SeenTransaction[],
  rewrite: (text: string, rows: SqlRow[]) => SqlRow[] = (_text, rows) => rows,
): SqlDriver {
  return {
    dialect: inner.dialect,
    query: (text, params) => inner.query(text, params),
    transaction: <T>(fn: (tx: { query: SqlDriver["query"] }) => Promise<T>, options?: TransactionOptions) => {
      const entry: SeenTransaction = { afterBegin: options?.afterBegin, statements: [] };
      seen.push(entry);
      return inner.transaction(
        (tx) =>
          fn({
            query: async <R extends SqlRow>(text: string, params?: readonly SqlParam[]) => {
              entry.statements.push(text);
              return rewrite(text, await tx.query<R>(text, params)) as R[];
            },
          }),
        options,
      );
    },
    close: async () => undefined,
  };
}

const isInsert = (text: string) => text.includes("INSERT INTO");

let pglite: SqlDriver;
let schemaCounter = 0;
beforeAll(async () => {
  pglite = await createPgliteDriver({});
});
afterAll(async () => {
  await pglite.close();
});

async function storeWith(
  seen: SeenTransaction[],
  options: { notify?: boolean; rewrite?: Parameters<typeof recordingDriver>[2] } = {},
) {
  schemaCounter += 1;
  return createSqlEventStore(recordingDriver(pglite, seen, options.rewrite), {
    schema: `round_trips_${schemaCounter}`,
    clock: testClock,
    ...(options.notify === true ? { listenForCommits: () => ({ close: async () => undefined }) } : {}),
  });
}

describe("SQL store round trips per append (each one costs ~0.25 ms or more on our machines)", () => {
  it("append: the lock travels with BEGIN; inside, one state read and one INSERT that also takes the positions", async () => {
    const seen: SeenTransaction[] = [];
    const store = await storeWith(seen);
    seen.length = 0; // the migration's own transaction is not an append
    await store.append("deal-1", testEvents("a", 3), NO_CONCURRENCY_CHECK);
    expect(seen).toHaveLength(1);
    const [append] = seen as [SeenTransaction];
    expect(append.afterBegin).toMatch(/^SELECT pg_advisory_xact_lock\(-?\d+::bigint\)$/);
    expect(append.statements).toHaveLength(2);
    expect(append.statements.filter(isInsert)).toHaveLength(1);
    expect(append.statements.join("\n")).not.toContain("generate_series");
    const events = await readAllEvents(store);
    expect(events.map((e) => e.globalPosition)).toEqual([1, 2, 3]);
    expect((await store.verifyChain()).ok).toBe(true);
    await store.close();
  });

  it("appendMany over two INSERT chunks: one state read, one INSERT per chunk, the NOTIFY inside the last one", async () => {
    const seen: SeenTransaction[] = [];
    const store = await storeWith(seen, { notify: true });
    seen.length = 0;
    const items: AppendManyItem[] = [
      {
        streamId: "deal-1",
        events: testEvents("a", INSERT_CHUNK_ROWS),
        expectedRevision: NO_CONCURRENCY_CHECK,
      },
      { streamId: "deal-2", events: testEvents("b", 10), expectedRevision: NO_CONCURRENCY_CHECK },
    ];
    const outcomes = await store.appendMany(items);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(seen).toHaveLength(1);
    const [call] = seen as [SeenTransaction];
    expect(call.statements).toHaveLength(3);
    const inserts = call.statements.filter(isInsert);
    expect(inserts).toHaveLength(2);
    expect(inserts[0]).not.toContain("pg_notify");
    expect(inserts[1]).toContain("pg_notify");
    // The positions handed back are the ones stored, in chain order.
    const events = await readAllEvents(store);
    const outcomePositions = outcomes.flatMap((o) =>
      o.ok ? o.result.positions.map((p) => p.globalPosition) : [],
    );
    expect(outcomePositions).toEqual(events.map((e) => e.globalPosition));
    expect(events.map((e) => e.eventId).slice(-2)).toEqual(["b-9", "b-10"]);
    expect((await store.verifyChain()).ok).toBe(true);
    await store.close();
  });

  it("refuses to commit when the server hands back positions out of chain order, and writes nothing", async () => {
    const seen: SeenTransaction[] = [];
    // Plays a server that evaluated nextval in another order than the rows were linked in.
    const reversePositions = (text: string, rows: SqlRow[]) => {
      if (!isInsert(text)) return rows;
      const positions = rows.map((r) => r.global_position).reverse();
      return rows.map((r, i) => ({ ...r, global_position: positions[i] }));
    };
    const store = await storeWith(seen, { rewrite: reversePositions });
    await expect(store.append("deal-1", testEvents("a", 3), NO_CONCURRENCY_CHECK)).rejects.toThrow(
      /does not follow .*the chain order would break/,
    );
    expect(await readAllEvents(store)).toEqual([]);
    await store.close();
  });
});

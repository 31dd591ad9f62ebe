import type { SqlEventStore } from "@icm/event-store-sql";
import { EventValidationError } from "@icm/events";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { deal, ev, section8History } from "../testing/history.js";
import { SharedPglite } from "../testing/pglite.js";
import { editStoredEvent, positionOfEvent } from "../testing/tamper.js";
import { InvalidInputError } from "./errors.js";
import { IcmWorkspace } from "./workspace.js";

// Recording and following the log on PGlite.

const db = new SharedPglite();
let store: SqlEventStore;
beforeAll(() => db.start());
afterAll(() => db.stop());
beforeEach(async () => {
  store = await db.store();
});
afterEach(async () => {
  await store.close();
});

describe("record", () => {
  it("is idempotent by event id, also for a run of one stream recorded only half-way before", async () => {
    const ws = await IcmWorkspace.open({ store });
    const history = section8History();
    expect(await ws.record(history)).toEqual({ recorded: 14, duplicates: 0, lastPosition: 14 });
    expect(await ws.record(history)).toEqual({ recorded: 0, duplicates: 14, lastPosition: 14 });
    const cancel = ev("DealCancelled", "cancel-D1", {
      dealId: "D1",
      cancelDate: "2026-03-01",
      reason: "lost",
    });
    // deal-D1 is recorded, cancel-D1 is new: the same stream, sent together.
    const again = await ws.record([deal("D1", "60000.00", "2026-01-15"), cancel]);
    expect(again).toEqual({ recorded: 1, duplicates: 1, lastPosition: 15 });
  });

  it("writes nothing when any event is invalid, naming the event, field and rule", async () => {
    const ws = await IcmWorkspace.open({ store });
    const bad = { ...deal("D9", "10.00", "2026-01-15"), data: { dealId: "D9", amount: "-5" } };
    const error = await ws.record([deal("D8", "10.00", "2026-01-15"), bad]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).issues.some((i) => i.path.startsWith("[1].data."))).toBe(true);
    expect((await store.head()).globalPosition).toBe(0);
  });
});

describe("refresh", () => {
  it("stops at a stored event that fails validation, naming it, with every event before it applied", async () => {
    const reader = await IcmWorkspace.open({ store });
    const writer = await IcmWorkspace.open({ store });
    await writer.record(section8History());
    const position = await positionOfEvent(store, "deal-D2");
    await editStoredEvent(store, position, (data) => ({ ...data, amount: "-5.00" }));
    // The whole log is one page: the events before the bad one are applied, it and the rest are not.
    const error = await reader.refresh().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventValidationError);
    expect((error as EventValidationError).issues[0]?.path).toBe("data.amount");
    expect(reader.lastPosition).toBe(position - 1);
    await expect(IcmWorkspace.open({ store })).rejects.toThrow("data.amount");
  });

  it("follows events another workspace recorded", async () => {
    const reader = await IcmWorkspace.open({ store });
    const writer = await IcmWorkspace.open({ store });
    await writer.record(section8History());
    expect(reader.lastPosition).toBe(0);
    expect(await reader.refresh()).toBe(14);
    expect(reader.statement("ana", "2026-Q1").payable.toFixed(2)).toBe("23500.00");
    expect(reader.team("mia")).toEqual(["ana", "ben"]);
    expect(reader.team("mia", "2024-06-01")).toEqual([]);
    // isInTeam (one chain walk, asked on every manager's API request) answers exactly as team().includes.
    const people = [...reader.reps(), "nobody"];
    for (const date of ["2024-06-01", "2026-02-01"])
      for (const manager of people)
        for (const rep of people)
          expect(reader.isInTeam(manager, rep, date), `${manager} ${rep} ${date}`).toBe(
            reader.team(manager, date).includes(rep),
          );
    expect(reader.isInTeam("mia", "ana", "2026-02-01")).toBe(true);
  });
});

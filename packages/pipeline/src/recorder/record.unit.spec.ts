import { type AppendManyItem, createInMemoryEventStore, type EventStore } from "@icm/event-store";
import { canonicalJson } from "@icm/events";
import { describe, expect, it } from "vitest";
import { sampleHistory } from "../embedded/sample-history.js";
import { defaultValidator } from "../ingest/validator.js";
import {
  appendValidated,
  decodeBody,
  recordEvent,
  recordEvents,
  refuseInput,
  validatedInputs,
  validateInput,
} from "./record.js";

describe("recording one event", () => {
  const [calendar] = sampleHistory({ reps: 1, deals: 0 });

  it("decodes a message body, or says why not", () => {
    expect(decodeBody(new TextEncoder().encode(canonicalJson(calendar)))).toEqual({
      ok: true,
      value: calendar,
    });
    expect(decodeBody(new TextEncoder().encode("{"))).toMatchObject({
      ok: false,
      reason: "message body is not JSON",
    });
    expect(decodeBody(new Uint8Array([0xc3]))).toMatchObject({
      ok: false,
      reason: "message body is not UTF-8",
    });
  });

  it("records once, then answers duplicate with the original position", async () => {
    const store = createInMemoryEventStore();
    const first = await recordEvent(store, calendar, defaultValidator);
    const second = await recordEvent(store, calendar, defaultValidator);
    expect(first).toMatchObject({ kind: "recorded", globalPosition: 1 });
    expect(second).toMatchObject({ kind: "duplicate", globalPosition: 1 });
    await store.close();
  });

  it("turns a schema failure and an id reused with other content into poison, naming why", async () => {
    const store = createInMemoryEventStore();
    await recordEvent(store, calendar, defaultValidator);
    const invalid = await recordEvent(
      store,
      { ...calendar, data: { ...calendar?.data, fiscalYearStartMonth: 13 } },
      defaultValidator,
    );
    expect(invalid).toMatchObject({
      kind: "poison",
      reason: "event failed validation",
      eventId: calendar?.eventId,
    });
    expect(invalid.kind === "poison" && invalid.issues?.[0]?.path).toBe("data.fiscalYearStartMonth");
    const conflict = await recordEvent(
      store,
      { ...calendar, data: { ...calendar?.data, timeZone: "Europe/Paris" } },
      defaultValidator,
    );
    expect(conflict).toMatchObject({ kind: "poison", eventId: calendar?.eventId });
    expect(conflict.kind === "poison" && conflict.reason).toMatch(
      /^event id already recorded with different content/,
    );
    await store.close();
  });

  it("reports a store failure as transient (to be retried), never as poison", async () => {
    const store = createInMemoryEventStore();
    await store.close();
    expect(await recordEvent(store, calendar, defaultValidator)).toMatchObject({ kind: "transient" });
  });
});

describe("recording many events with one appendMany", () => {
  const history = sampleHistory({ reps: 2, deals: 3 });

  it("gives each input recordEvent's outcome, in input order, seeing the inputs before it", async () => {
    const [calendar, second] = history;
    const invalid = { ...calendar, data: { ...calendar?.data, fiscalYearStartMonth: 13 } };
    const changed = { ...calendar, data: { ...calendar?.data, timeZone: "Europe/Paris" } };
    const store = createInMemoryEventStore();
    const outcomes = await recordEvents(
      store,
      [calendar, invalid, second, calendar, changed],
      defaultValidator,
    );
    expect(outcomes.map((o) => o.kind)).toEqual(["recorded", "poison", "recorded", "duplicate", "poison"]);
    expect(outcomes[0]).toMatchObject({ globalPosition: 1 });
    expect(outcomes[2]).toMatchObject({ globalPosition: 2 });
    expect(outcomes[3]).toMatchObject({ globalPosition: 1 });
    expect(outcomes[1]).toMatchObject({ reason: "event failed validation", eventId: calendar?.eventId });
    const conflict = outcomes[4];
    expect(conflict?.kind === "poison" && conflict.reason).toMatch(
      /^event id already recorded with different content/,
    );
    await store.close();
  });

  it("records a history exactly as one recordEvent per input would", async () => {
    const batched = createInMemoryEventStore();
    const single = createInMemoryEventStore();
    const batchedOutcomes = await recordEvents(batched, [...history, ...history], defaultValidator);
    const singleOutcomes = [];
    for (const raw of [...history, ...history])
      singleOutcomes.push(await recordEvent(single, raw, defaultValidator));
    expect(batchedOutcomes).toEqual(singleOutcomes);
    const [left, right] = await Promise.all([
      batched.readAll({ limit: 100 }),
      single.readAll({ limit: 100 }),
    ]);
    expect(left.events.map((e) => [e.eventId, e.streamId, e.hash])).toEqual(
      right.events.map((e) => [e.eventId, e.streamId, e.hash]),
    );
    await Promise.all([batched.close(), single.close()]);
  });

  it("marks every valid input transient when the call fails as a whole, and still refuses invalid ones", async () => {
    const [calendar, second] = history;
    const store = createInMemoryEventStore();
    await store.close();
    const outcomes = await recordEvents(store, [calendar, { not: "an event" }, second], defaultValidator);
    expect(outcomes.map((o) => o.kind)).toEqual(["transient", "poison", "transient"]);
  });
});

describe("validating first, appending later (the recorder's pipeline)", () => {
  const history = sampleHistory({ reps: 2, deals: 3 });

  it("puts a group's valid inputs in one appendMany, in order, and gives the refused ones their outcome", async () => {
    const [calendar, second, third] = history;
    const invalid = { ...calendar, data: { ...calendar?.data, fiscalYearStartMonth: 13 } };
    const changed = { ...calendar, data: { ...calendar?.data, timeZone: "Europe/Paris" } };
    const memory = createInMemoryEventStore();
    const calls: (readonly AppendManyItem[])[] = [];
    const store: EventStore = {
      ...memory,
      appendMany: (items) => {
        calls.push(items);
        return memory.appendMany(items);
      },
    };
    const raws = [calendar, invalid, undefined, second, calendar, changed, third];
    const inputs = validatedInputs(raws.length);
    raws.forEach((raw, index) => {
      if (index === 2) refuseInput(inputs, index, { kind: "poison", reason: "message body is not JSON" });
      else validateInput(inputs, index, raw, defaultValidator);
    });
    // Nothing reaches the store before appendValidated.
    expect(calls).toHaveLength(0);
    const outcomes = await appendValidated(store, inputs);
    expect(outcomes.map((o) => o.kind)).toEqual([
      "recorded",
      "poison",
      "poison",
      "recorded",
      "duplicate",
      "poison",
      "recorded",
    ]);
    expect(outcomes[2]).toMatchObject({ reason: "message body is not JSON" });
    // One call: the bad inputs in the middle neither split the group nor stop the events after them.
    expect(calls.map((items) => items.map((item) => item.events[0]?.eventId))).toEqual([
      [calendar?.eventId, second?.eventId, calendar?.eventId, calendar?.eventId, third?.eventId],
    ]);
    const log = await memory.readAll({ limit: 100 });
    expect(log.events.map((e) => e.eventId)).toEqual([calendar?.eventId, second?.eventId, third?.eventId]);
    await memory.close();
  });

  it("gives exactly recordEvents' outcomes", async () => {
    const raws = [...history, { not: "an event" }, ...history];
    const split = createInMemoryEventStore();
    const whole = createInMemoryEventStore();
    const inputs = validatedInputs(raws.length);
    raws.forEach((raw, index) => {
      validateInput(inputs, index, raw, defaultValidator);
    });
    expect(await appendValidated(split, inputs)).toEqual(await recordEvents(whole, raws, defaultValidator));
    await Promise.all([split.close(), whole.close()]);
  });
});

import { createInMemoryEventStore } from "@icm/event-store";
import { canonicalJson } from "@icm/events";
import { describe, expect, it } from "vitest";
import { sampleHistory } from "../embedded/sample-history.js";
import { defaultValidator } from "../ingest/validator.js";
import { decodeBody, recordEvent } from "./record.js";

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

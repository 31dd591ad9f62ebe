import { parseEvent } from "@icm/events";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readBody, summarizeIssues, validateBatch, withCorrelationId } from "./batch.js";
import { arrayItemTexts } from "./raw-json.js";
import { sampleDeal, sampleRep } from "./sample-events.js";

const whitespace = fc.constantFrom("", " ", "\n", "\t", " \r\n ");

/** JSON text of an array with arbitrary whitespace between tokens, plus the items' own texts. */
const spacedArray = fc
  .array(fc.tuple(fc.jsonValue(), whitespace, whitespace), { maxLength: 8 })
  .map((items) => {
    const texts = items.map(([value]) => JSON.stringify(value) ?? "null");
    const body = `[${items.map(([, before, after], i) => `${before}${texts[i]}${after}`).join(",")}]`;
    return { body, texts };
  });

describe("raw JSON spans", () => {
  it("finds the exact text of every array item, whatever the spacing", () => {
    fc.assert(
      fc.property(spacedArray, ({ body, texts }) => {
        expect(arrayItemTexts(body)).toEqual(texts);
      }),
      { numRuns: 300 },
    );
  });

  it("keeps numbers and escapes byte for byte", () => {
    const body = `[ {"amount": 1.50, "s": "a\\"],b"} , 2.0e1,"x"]`;
    expect(arrayItemTexts(body)).toEqual([`{"amount": 1.50, "s": "a\\"],b"}`, "2.0e1", `"x"`]);
  });
});

describe("readBody", () => {
  it("tells a single event, an array and { events } apart", () => {
    const rep = sampleRep("R-1");
    expect(readBody(JSON.stringify(rep))).toMatchObject({
      ok: true,
      shape: "single",
      items: [{ value: rep }],
    });
    expect(readBody(JSON.stringify([rep]))).toMatchObject({
      ok: true,
      shape: "array",
      items: [{ value: rep }],
    });
    const envelope = readBody(`{"note": [1], "events": [ ${JSON.stringify(rep)} ]}`);
    expect(envelope).toMatchObject({
      ok: true,
      shape: "envelope",
      items: [{ text: JSON.stringify(rep), value: rep }],
    });
  });

  it("reports a body that is not JSON", () => {
    const result = readBody("{nope");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(/^body is not JSON: /);
  });
});

describe("validateBatch", () => {
  it("returns every valid event in order, or every invalid item with its index", () => {
    const items = [sampleRep("R-1"), sampleDeal("D-1")].map((value) => ({ text: "", value }));
    const ok = validateBatch(items, parseEvent);
    expect(ok).toEqual({ ok: true, events: items.map((i) => i.value) });

    const bad = validateBatch(
      [
        ...items,
        { text: "", value: { eventId: "e-9", type: "RepOnboarded", schemaVersion: 1, data: {} } },
        { text: "", value: 7 },
      ],
      parseEvent,
    );
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.invalid.map((i) => [i.index, i.eventId])).toEqual([
        [2, "e-9"],
        [3, undefined],
      ]);
      expect(bad.invalid[0]?.issues.map((i) => i.path)).toEqual([
        "data.repId",
        "data.name",
        "data.planCurrency",
        "data.hireDate",
      ]);
    }
  });

  it("accepts the same event twice (the stream dedupes it) but not the same eventId with other content", () => {
    const deal = sampleDeal("D-1");
    expect(
      validateBatch(
        [deal, deal].map((value) => ({ text: "", value })),
        parseEvent,
      ).ok,
    ).toBe(true);
    const changed = validateBatch(
      [deal, sampleDeal("D-1", "9.00")].map((value) => ({ text: "", value })),
      parseEvent,
    );
    expect(changed.ok).toBe(false);
  });
});

describe("withCorrelationId and summarizeIssues", () => {
  it("adds the correlation id only when absent", () => {
    const rep = sampleRep("R-1");
    expect(withCorrelationId(rep, "c-1").metadata).toEqual({ correlationId: "c-1" });
    const own = { ...rep, metadata: { correlationId: "mine" } };
    expect(withCorrelationId(own, "c-1").metadata).toEqual({ correlationId: "mine" });
  });

  it("summarises at most five issues", () => {
    const issues = Array.from({ length: 7 }, (_, i) => ({ path: `data.f${i}`, rule: "must be set" }));
    expect(summarizeIssues(issues)).toBe(
      "data.f0: must be set; data.f1: must be set; data.f2: must be set; data.f3: must be set; data.f4: must be set; and 2 more",
    );
  });
});

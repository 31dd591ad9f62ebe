import { canonicalJson, Decimal } from "@icm/events";
import { describe, expect, it } from "vitest";
import { InvalidAppendError } from "../port/errors.js";
import type { EventToAppend, ExpectedRevision } from "../port/types.js";
import {
  MAX_APPEND_BATCH,
  NO_CONCURRENCY_CHECK,
  STREAM_DOES_NOT_EXIST,
  STREAM_EXISTS,
} from "../port/types.js";
import { assertValidAppend, revisionMatches, validAppendTexts } from "./append.js";

const ok = (eventId: string, extra: Partial<EventToAppend> = {}): EventToAppend => ({
  eventId,
  type: "T",
  schemaVersion: 1,
  data: {},
  metadata: {},
  ...extra,
});

function pathOf(run: () => void): string {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidAppendError) return error.path;
    throw error;
  }
  return "(accepted)";
}

describe("assertValidAppend", () => {
  const cases: [string, string, readonly EventToAppend[], ExpectedRevision, string][] = [
    ["an empty stream id", "", [ok("a")], 0, "streamId"],
    ["a stream id with U+0000", "s\u0000", [ok("a")], 0, "streamId"],
    ["a negative revision", "s", [ok("a")], -1, "expectedRevision"],
    ["a fractional revision", "s", [ok("a")], 1.5, "expectedRevision"],
    ["an unknown sentinel", "s", [ok("a")], "any" as ExpectedRevision, "expectedRevision"],
    ["an empty batch", "s", [], 0, "events"],
    ["an empty event id", "s", [ok("")], 0, "events[0].eventId"],
    ["an over-long event id", "s", [ok("x".repeat(201))], 0, "events[0].eventId"],
    ["a duplicate id", "s", [ok("a"), ok("b"), ok("a")], 0, "events[2].eventId"],
    ["a missing type", "s", [ok("a"), ok("b", { type: "" })], 0, "events[1].type"],
    ["a fractional schemaVersion", "s", [ok("a", { schemaVersion: 1.5 })], 0, "events[0].schemaVersion"],
    ["data that is an array", "s", [ok("a", { data: [] as never })], 0, "events[0].data"],
    ["data that is null", "s", [ok("a", { data: null as never })], 0, "events[0].data"],
    ["a float in data", "s", [ok("a", { data: { x: { y: [1, 2.5] } } })], 0, "events[0].data.x.y[1]"],
    [
      "a Date in metadata",
      "s",
      [ok("a", { metadata: { at: new Date(0) as never } })],
      0,
      "events[0].metadata.at",
    ],
    ["a lone surrogate in a key", "s", [ok("a", { data: { "\uDC00": 1 } })], 0, "events[0].data.\uDC00"],
    ["a lone surrogate in a value", "s", [ok("a", { data: { note: "ok\uD83D" } })], 0, "events[0].data.note"],
  ];
  for (const [name, streamId, events, expected, path] of cases) {
    it(`rejects ${name} naming ${path}`, () => {
      expect(pathOf(() => assertValidAppend(streamId, events, expected))).toBe(path);
    });
  }

  it("rejects a batch over MAX_APPEND_BATCH and accepts one at the limit", () => {
    const batch = Array.from({ length: MAX_APPEND_BATCH + 1 }, (_, i) => ok(`e${i}`));
    expect(pathOf(() => assertValidAppend("s", batch, NO_CONCURRENCY_CHECK))).toBe("events");
    expect(pathOf(() => assertValidAppend("s", batch.slice(1), NO_CONCURRENCY_CHECK))).toBe("(accepted)");
  });

  it("accepts unicode, decimal strings, Decimals and big integers as strings", () => {
    const data = {
      name: "Zoë 🚀 日本",
      amount: "1250.00",
      rate: new Decimal("0.125") as never,
      big: "18446744073709551617",
    };
    expect(pathOf(() => assertValidAppend("deal-1", [ok("a", { data })], STREAM_DOES_NOT_EXIST))).toBe(
      "(accepted)",
    );
  });
});

describe("revisionMatches", () => {
  const table: [ExpectedRevision, number, boolean][] = [
    [NO_CONCURRENCY_CHECK, 0, true],
    [NO_CONCURRENCY_CHECK, 7, true],
    [STREAM_DOES_NOT_EXIST, 0, true],
    [STREAM_DOES_NOT_EXIST, 1, false],
    [STREAM_EXISTS, 0, false],
    [STREAM_EXISTS, 1, true],
    [0, 0, true],
    [3, 3, true],
    [3, 4, false],
  ];
  for (const [expected, current, matches] of table) {
    it(`${String(expected)} at revision ${current} ${matches ? "matches" : "conflicts"}`, () => {
      expect(revisionMatches(expected, current)).toBe(matches);
    });
  }
});

describe("validAppendTexts", () => {
  it("hands back the canonical JSON it checked, per event, for adapters that store the text", () => {
    const data = { z: "1.50", a: ["\uD83D\uDE80", 'quote " and \\ backslash'], m: { y: null, b: true } };
    const metadata = { correlationId: "c", source: "crm" };
    const texts = validAppendTexts("s", [ok("a", { data, metadata }), ok("b")], NO_CONCURRENCY_CHECK);
    expect(texts).toEqual([
      { dataText: canonicalJson(data), metadataText: canonicalJson(metadata) },
      { dataText: "{}", metadataText: "{}" },
    ]);
  });

  it("refuses lone surrogates wherever they are, and accepts surrogate pairs", () => {
    const at = (value: string) =>
      pathOf(() => validAppendTexts("s", [ok("a", { data: { list: ["ok", value] } })], NO_CONCURRENCY_CHECK));
    expect(at("\uD800")).toBe("events[0].data.list[1]");
    expect(at("x\uDC00")).toBe("events[0].data.list[1]");
    expect(at("\uD83D\uDE80")).toBe("(accepted)");
    expect(pathOf(() => assertValidAppend("\uDBFF", [ok("a")], NO_CONCURRENCY_CHECK))).toBe("streamId");
  });
});

describe("the checks behind canonical JSON: strings and nesting", () => {
  const nested = (levels: number): Record<string, unknown> => {
    let value: Record<string, unknown> = { leaf: "x" };
    for (let i = 1; i < levels; i += 1) value = { a: value };
    return value;
  };
  const pathFor = (data: Record<string, unknown>) =>
    pathOf(() => assertValidAppend("s", [ok("a", { data: data as never })], NO_CONCURRENCY_CHECK));

  it("accepts 64 levels below data and refuses a value deeper, naming where", () => {
    expect(pathFor(nested(64))).toBe("(accepted)");
    expect(pathFor(nested(65))).toBe(`events[0].data${".a".repeat(64)}.leaf`);
    // Two levels lower (list, its item): the 63rd nested object is already at depth 65.
    expect(pathFor({ list: [nested(64)] })).toBe(`events[0].data.list[0]${".a".repeat(63)}`);
  });

  it("tells a backslash followed by 'u0000' (no NUL) from U+0000, in values and keys", () => {
    expect(pathFor({ note: "\\u0000 and \\ud800 are only text" })).toBe("(accepted)");
    expect(pathFor({ deep: { "k\u0000": 1 } })).toBe("events[0].data.deep.k\u0000");
    expect(pathFor({ deep: { list: ["a", "b\u0000"] } })).toBe("events[0].data.deep.list[1]");
  });
});

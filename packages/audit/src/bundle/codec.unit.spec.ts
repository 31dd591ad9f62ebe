import { canonicalJson } from "@icm/events";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BundleFormatError,
  type BundleItem,
  BundleLineDecoder,
  bundleLines,
  decodeBundle,
  decodeBundleStream,
  encodeBundle,
} from "./codec.js";
import { sampleBundle } from "./test-fixture.js";
import type { AuditBundle } from "./types.js";

const RUNS = { numRuns: 200 };

async function collect(items: AsyncIterable<BundleItem>): Promise<AuditBundle> {
  let header: Omit<AuditBundle, "events"> | undefined;
  const events: AuditBundle["events"][number][] = [];
  for await (const item of items) {
    if (item.kind === "header") header = item.header;
    else events.push(item.event);
  }
  if (header === undefined) throw new Error("no header");
  return { ...header, events };
}

describe("encodeBundle / decodeBundle", () => {
  const bundle = sampleBundle();
  const text = encodeBundle(bundle);

  it("writes a header line, then one canonical JSON event per line, each ending with a newline", () => {
    expect(text.endsWith("\n")).toBe(true);
    const lines = text.slice(0, -1).split("\n");
    expect(lines).toHaveLength(1 + bundle.events.length);
    for (const line of lines) expect(canonicalJson(JSON.parse(line))).toBe(line);
    expect(JSON.parse(lines[0] as string)).toEqual({
      format: "icm-audit-bundle/1",
      close: bundle.close,
      closeEventId: bundle.closeEventId,
      chainHead: bundle.chainHead,
    });
    expect(JSON.parse(lines[1] as string)).toEqual(bundle.events[0]);
  });

  it("round-trips: decode(encode(b)) equals b and encode(decode(t)) is the same bytes", () => {
    const decoded = decodeBundle(text);
    expect(decoded).toEqual(bundle);
    expect(encodeBundle(decoded)).toBe(text);
  });

  it("drops fields outside the bundle format, such as the store's recordedAt", () => {
    const withClock = bundle.events.map((e) => ({ ...e, recordedAt: "2026-04-01T00:00:00Z" }));
    expect([...bundleLines(bundle, withClock)].join("")).toBe(text);
  });

  it("law: decoding from byte chunks split anywhere (even inside a UTF-8 character) gives the same bundle", async () => {
    const bytes = new TextEncoder().encode(text);
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 30 }),
        async (cuts) => {
          const points = [0, ...cuts.sort((a, b) => a - b), bytes.length];
          const chunks = points.slice(1).map((end, i) => bytes.subarray(points[i], end));
          expect(await collect(decodeBundleStream(chunks))).toEqual(bundle);
        },
      ),
      RUNS,
    );
  });

  it("decodes a stream of text chunks and an empty-events bundle", async () => {
    expect(await collect(decodeBundleStream([text]))).toEqual(bundle);
    const empty = { ...bundle, events: [] };
    expect(decodeBundle(encodeBundle(empty))).toEqual(empty);
  });

  const lines = text.slice(0, -1).split("\n");
  const withLine = (index: number, line: string) =>
    `${lines.map((l, i) => (i === index ? line : l)).join("\n")}\n`;

  it("rejects non-canonical lines, naming the line", () => {
    const spaced = JSON.stringify(JSON.parse(lines[2] as string), null, 1).replaceAll("\n", "");
    expect(() => decodeBundle(withLine(2, spaced))).toThrow(BundleFormatError);
    expect(() => decodeBundle(withLine(2, spaced))).toThrow(/line 3, \$: line is not canonical JSON/);
  });

  it("rejects a wrong format tag, a missing field, a bad hash and a bad close, naming the field", () => {
    const header = JSON.parse(lines[0] as string) as Record<string, unknown>;
    const event = JSON.parse(lines[1] as string) as Record<string, unknown>;
    const cases: [string, RegExp][] = [
      [withLine(0, canonicalJson({ ...header, format: "icm-audit-bundle/2" })), /line 1, format/],
      [
        withLine(0, canonicalJson({ ...header, close: { ...(header.close as object), merkleRoot: "x" } })),
        /line 1, close\.merkleRoot/,
      ],
      [withLine(1, canonicalJson({ ...event, hash: "ABC" })), /line 2, hash/],
      [withLine(1, canonicalJson({ ...event, streamPosition: 0 })), /line 2, streamPosition/],
      [withLine(1, canonicalJson({ ...event, data: [] })), /line 2, data/],
      [
        withLine(1, canonicalJson({ ...event, eventId: undefined })),
        /line 2, \$: must have exactly the fields/,
      ],
      [withLine(1, "{not json"), /line 2, \$: not JSON/],
      [text.slice(0, -1), /must end with/],
      ["", /starts with a header/],
    ];
    for (const [bad, message] of cases) {
      expect(() => decodeBundle(bad)).toThrow(message);
    }
  });

  it("bounds the line length when streaming", async () => {
    await expect(collect(decodeBundleStream([text], { maxLineChars: 100 }))).rejects.toThrow(
      /longer than 100/,
    );
  });

  it("a line decoder yields the header first, then events", () => {
    const decoder = new BundleLineDecoder();
    expect(decoder.line(lines[0] as string).kind).toBe("header");
    expect(decoder.line(lines[1] as string)).toEqual({ kind: "event", event: bundle.events[0] });
    expect(() => new BundleLineDecoder().finish()).toThrow(/header/);
  });
});

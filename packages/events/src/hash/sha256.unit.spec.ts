import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../canonical/canonical-json.js";
import { canonicalDigest, chainHash, chainHashOfText, GENESIS_HASH, sha256Hex } from "./sha256.js";

describe("hashing", () => {
  it("sha256Hex matches the published test vector", () => {
    expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("canonicalDigest hashes the canonical bytes, so key order does not matter", () => {
    expect(canonicalDigest({ b: 1, a: "x" })).toBe(canonicalDigest({ a: "x", b: 1 }));
    expect(canonicalDigest({ a: "x", b: 1 })).toBe(sha256Hex(canonicalJson({ a: "x", b: 1 })));
  });

  it("a chain link is SHA-256 of the previous hex hash followed by the entry bytes", () => {
    const entry = new TextEncoder().encode('{"n":1}');
    const expected = createHash("sha256").update(`${GENESIS_HASH}{"n":1}`).digest("hex");
    expect(chainHash(GENESIS_HASH, entry)).toBe(expected);
    expect(GENESIS_HASH).toMatch(/^0{64}$/);
    expect(chainHash(expected, entry)).not.toBe(expected);
  });

  it("laws: sha256Hex is createHash's SHA-256 of the UTF-8 (strings and bytes), and chainHashOfText is chainHash of the text's bytes", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme", maxLength: 300 }),
        fc.uint8Array({ maxLength: 300 }),
        (text, bytes) => {
          expect(sha256Hex(text)).toBe(createHash("sha256").update(text, "utf8").digest("hex"));
          expect(sha256Hex(bytes)).toBe(createHash("sha256").update(bytes).digest("hex"));
          const json = canonicalJson({ text });
          const previous = sha256Hex(bytes);
          expect(chainHashOfText(previous, json)).toBe(chainHash(previous, new TextEncoder().encode(json)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("chainHashOfText agrees with chainHash on text with lone surrogates escaped by canonical JSON", () => {
    const json = canonicalJson({ lone: "a\uD800b", pair: "\uD83D\uDE80" });
    expect(json).toContain("\\ud800");
    expect(chainHashOfText(GENESIS_HASH, json)).toBe(chainHash(GENESIS_HASH, new TextEncoder().encode(json)));
  });
});

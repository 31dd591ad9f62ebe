import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../canonical/canonical-json.js";
import { canonicalDigest, chainHash, GENESIS_HASH, sha256Hex } from "./sha256.js";

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
});

import { createHash } from "node:crypto";
import { canonicalJson } from "../canonical/canonical-json.js";

/** Hex SHA-256 of bytes or a UTF-8 string. */
export function sha256Hex(input: Uint8Array | string): string {
  return createHash("sha256").update(input).digest("hex");
}

/** Hex SHA-256 of the canonical JSON encoding of a value: the digest of statements, closes and inputs. */
export function canonicalDigest(value: unknown): string {
  // Hashing the string as UTF-8 gives the same bytes as canonicalBytes (TextEncoder), without the copy:
  // canonical JSON escapes lone surrogates, so the two UTF-8 encoders never disagree on it.
  return sha256Hex(canonicalJson(value));
}

/** The hash of the empty chain: the `prevHash` of the very first event. */
export const GENESIS_HASH = "0".repeat(64);

/** One link of a hash chain: SHA-256(previous hash ‖ canonical bytes of the entry). */
export function chainHash(previousHashHex: string, entryCanonicalBytes: Uint8Array): string {
  return createHash("sha256").update(previousHashHex, "utf8").update(entryCanonicalBytes).digest("hex");
}

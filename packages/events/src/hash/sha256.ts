import * as crypto from "node:crypto";
import { canonicalJson } from "../canonical/canonical-json.js";

/**
 * Node's one-shot `crypto.hash` (20.12+): 0.7 µs for a 600-byte SHA-256 where createHash().update().digest()
 * takes 1.3 (this machine, round 11); every recorded event is hashed twice, every statement digested.
 * Looked up, not imported by name, so an older Node falls back to createHash.
 */
const oneShot = (
  crypto as { hash?: (algorithm: string, data: string | Uint8Array, encoding: "hex") => string }
).hash;

/** Hex SHA-256 of bytes or a UTF-8 string. */
export function sha256Hex(input: Uint8Array | string): string {
  if (oneShot !== undefined) return oneShot("sha256", input, "hex");
  return crypto.createHash("sha256").update(input).digest("hex");
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
  return crypto
    .createHash("sha256")
    .update(previousHashHex, "utf8")
    .update(entryCanonicalBytes)
    .digest("hex");
}

/**
 * chainHash of an entry given as its canonical JSON text: the same bytes (the previous hash is ASCII hex,
 * and canonical JSON escapes lone surrogates, so the text's UTF-8 is what TextEncoder gives) without
 * encoding the text into a buffer first.
 */
export function chainHashOfText(previousHashHex: string, entryCanonicalText: string): string {
  return sha256Hex(previousHashHex + entryCanonicalText);
}

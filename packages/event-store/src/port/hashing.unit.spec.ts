import { canonicalBytes, canonicalJson, chainHash } from "@icm/events";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  contentHash,
  contentHashFromText,
  eventChainHash,
  eventChainHashFromText,
  hashedContent,
} from "./hashing.js";
import type { EventToAppend, JsonObject } from "./types.js";

const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.string({ unit: "binary", maxLength: 20 }),
    fc.maxSafeInteger(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.string(), tie("value"), { maxKeys: 4 }),
  ),
})).value;
const jsonObject = fc.dictionary(fc.string(), jsonValue, { maxKeys: 5 }) as fc.Arbitrary<JsonObject>;

const eventArb: fc.Arbitrary<EventToAppend> = fc.record({
  eventId: fc.string({ minLength: 1 }),
  type: fc.string({ minLength: 1 }),
  schemaVersion: fc.integer({ min: 1, max: 1_000 }),
  data: jsonObject,
  metadata: jsonObject,
});

describe("hashes from already-encoded text", () => {
  it("equal the object-based contentHash and eventChainHash byte for byte (200 runs)", () => {
    fc.assert(
      fc.property(
        eventArb,
        fc.string(),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.stringMatching(/^[0-9a-f]{64}$/),
        (event, streamId, streamPosition, prevHash) => {
          const dataText = canonicalJson(event.data);
          const metadataText = canonicalJson(event.metadata);
          expect(contentHashFromText(streamId, event, dataText, metadataText)).toBe(
            contentHash(streamId, event),
          );
          expect(
            eventChainHashFromText(prevHash, streamId, streamPosition, event, dataText, metadataText),
          ).toBe(eventChainHash(prevHash, streamId, streamPosition, event));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("eventChainHash", () => {
  it("law: is SHA-256 of the previous hash and the canonical UTF-8 bytes of the hashed content (200 runs, lone surrogates included)", () => {
    fc.assert(
      fc.property(
        eventArb,
        fc.string({ unit: "binary", maxLength: 20 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.stringMatching(/^[0-9a-f]{64}$/),
        (event, streamId, streamPosition, prevHash) => {
          expect(eventChainHash(prevHash, streamId, streamPosition, event)).toBe(
            chainHash(prevHash, canonicalBytes(hashedContent(streamId, streamPosition, event))),
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});

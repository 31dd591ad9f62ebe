import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assertNamespace, esdbStreamName, eventUuid, InvalidNamespaceError } from "./ids.js";

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("EventStoreDB ids", () => {
  it("derives a well-formed, deterministic UUID from namespace and event id (law, 200 runs)", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (namespace, eventId) => {
        const uuid = eventUuid(namespace, eventId);
        expect(uuid).toMatch(uuidPattern);
        expect(eventUuid(namespace, eventId)).toBe(uuid);
      }),
      { numRuns: 200 },
    );
  });

  it("gives different UUIDs to different event ids and to the same id in different namespaces", () => {
    expect(eventUuid("icm", "deal-1")).not.toBe(eventUuid("icm", "deal-2"));
    expect(eventUuid("icm", "deal-1")).not.toBe(eventUuid("icm2", "deal-1"));
    // The separator keeps ("ab", "c") and ("a", "bc") apart.
    expect(eventUuid("ab", "c")).not.toBe(eventUuid("a", "bc"));
  });

  it("accepts lowercase namespaces only, so a stream name never starts with $", () => {
    expect(() => assertNamespace("icm_test_1")).not.toThrow();
    for (const bad of ["", "$all", "Icm", "1icm", "icm-x", "a".repeat(64)]) {
      expect(() => assertNamespace(bad)).toThrow(InvalidNamespaceError);
    }
    expect(esdbStreamName("icm", "deal-42")).toBe("icm:deal-42");
  });
});

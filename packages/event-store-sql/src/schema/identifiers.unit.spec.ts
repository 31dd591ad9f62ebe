import { describe, expect, it } from "vitest";
import {
  advisoryLockKey,
  assertSchemaName,
  InvalidSchemaNameError,
  quoteIdentifier,
  storeTables,
} from "./identifiers.js";

describe("SQL identifiers", () => {
  it.each(["icm", "icm_events", "_x1", "a".repeat(63)])("accepts the schema name %s", (name) => {
    expect(() => assertSchemaName(name)).not.toThrow();
    expect(storeTables(name).events).toBe(`"${name}"."events"`);
  });

  it.each(["", "Icm", "1abc", "a-b", 'x"; DROP TABLE events; --', "a".repeat(64), "ümlaut", "a b"])(
    "rejects the schema name %j",
    (name) => {
      expect(() => assertSchemaName(name)).toThrow(InvalidSchemaNameError);
      expect(() => storeTables(name)).toThrow(InvalidSchemaNameError);
    },
  );

  it("quotes identifiers by doubling embedded quotes", () => {
    expect(quoteIdentifier("events")).toBe('"events"');
    expect(quoteIdentifier('we"ird')).toBe('"we""ird"');
    expect(() => quoteIdentifier("")).toThrow(InvalidSchemaNameError);
  });

  it("derives a stable signed 64-bit advisory lock key per schema", () => {
    const key = BigInt(advisoryLockKey("icm-event-store:append:icm"));
    expect(key).toBeGreaterThanOrEqual(-(2n ** 63n));
    expect(key).toBeLessThan(2n ** 63n);
    expect(storeTables("icm").appendLockKey).toBe(storeTables("icm").appendLockKey);
    expect(storeTables("icm").appendLockKey).not.toBe(storeTables("icm2").appendLockKey);
  });
});

import { describe, expect, it } from "vitest";
import {
  envelopeMetadata,
  globalPositionOf,
  globalPositionOfRecord,
  readEnvelope,
  type StoredEnvelope,
  streamPositionOf,
  toRecordedEvent,
} from "./envelope.js";

const envelope: StoredEnvelope = {
  eventId: "deal-42-closed",
  streamId: "deal-42",
  schemaVersion: 2,
  metadata: { source: "crm", correlationId: "c-1" },
  contentHash: "a".repeat(64),
  prevHash: "0".repeat(64),
  hash: "b".repeat(64),
  recordedAt: "2026-01-01T00:00:00.000Z",
};

function esdbEvent(
  overrides: Partial<{ streamId: string; isJson: boolean; metadata: unknown; data: unknown }> = {},
) {
  return {
    streamId: "icm:deal-42",
    revision: 4n,
    type: "DealClosed",
    isJson: true,
    data: { amount: "1250.00", currency: "EUR" },
    metadata: envelopeMetadata(envelope),
    ...overrides,
  };
}

describe("EventStoreDB envelope", () => {
  it("round-trips our fields through the ESDB metadata and normalises revisions (ESDB 0-based, ours 1-based)", () => {
    const event = esdbEvent();
    const read = readEnvelope(event, "icm");
    expect(read).toEqual(envelope);
    expect(toRecordedEvent(event, read as StoredEnvelope, 1234)).toEqual({
      eventId: "deal-42-closed",
      type: "DealClosed",
      schemaVersion: 2,
      data: { amount: "1250.00", currency: "EUR" },
      metadata: { correlationId: "c-1", source: "crm" },
      streamId: "deal-42",
      streamPosition: 5,
      globalPosition: 1234,
      prevHash: "0".repeat(64),
      hash: "b".repeat(64),
      recordedAt: "2026-01-01T00:00:00.000Z",
    });
  });

  it("treats system, foreign-namespace, binary and envelope-less events as not ours", () => {
    expect(readEnvelope(esdbEvent({ streamId: "$stats-127.0.0.1:2113" }), "icm")).toBeUndefined();
    expect(readEnvelope(esdbEvent({ streamId: "other:deal-42" }), "icm")).toBeUndefined();
    expect(readEnvelope(esdbEvent({ isJson: false }), "icm")).toBeUndefined();
    expect(readEnvelope(esdbEvent({ metadata: { source: "elsewhere" } }), "icm")).toBeUndefined();
    expect(readEnvelope(esdbEvent({ metadata: new Uint8Array([1, 2]) }), "icm")).toBeUndefined();
  });

  it("rejects a damaged envelope loudly instead of guessing", () => {
    const damaged = { icm: { ...envelope, schemaVersion: "2" } };
    expect(() => readEnvelope(esdbEvent({ metadata: damaged }), "icm")).toThrow(/schemaVersion/);
  });

  it("keeps positions inside safe integers", () => {
    expect(streamPositionOf(0n)).toBe(1);
    expect(globalPositionOf(9_007_199_254_740_991n)).toBe(9_007_199_254_740_991);
    expect(() => globalPositionOf(9_007_199_254_740_993n)).toThrow(/safe integer/);
    expect(() => globalPositionOf(0n)).toThrow(/start checkpoint/);
    expect(() => streamPositionOf(-2n)).toThrow(/out of range/);
    expect(globalPositionOfRecord({ commit: 4_096n, prepare: 4_096n })).toBe(4_096);
    expect(() => globalPositionOfRecord({ commit: 4_096n, prepare: 4_200n })).toThrow(/must coincide/);
  });
});

import { canonicalDigest, GENESIS_HASH } from "@icm/events";
import { describe, expect, it } from "vitest";
import { merkleRoot } from "../merkle/merkle.js";
import { encodeBundle } from "./codec.js";
import { createBundle } from "./create.js";
import { sampleBundle } from "./test-fixture.js";
import type { AuditBundle } from "./types.js";
import { verifyBundle, verifyBundleStream } from "./verify.js";

function checksFailed(bundle: AuditBundle): string[] {
  const result = verifyBundle(bundle, bundle.events);
  return result.ok ? [] : result.findings.map((f) => f.check);
}

describe("verifyBundle", () => {
  it("accepts an untouched bundle", () => {
    const bundle = sampleBundle();
    expect(verifyBundle(bundle, bundle.events)).toMatchObject({ ok: true, checked: bundle.events.length });
  });

  it("reports an edited event with the chain's first broken position", () => {
    const bundle = sampleBundle();
    const events = bundle.events.map((e, i) => (i === 3 ? { ...e, data: { ...e.data, amount: "1.00" } } : e));
    const result = verifyBundle(bundle, events);
    expect(result.ok).toBe(false);
    expect(result.chain).toMatchObject({
      ok: false,
      position: bundle.events[3]?.globalPosition,
      reason: "hash_mismatch",
    });
  });

  it("detects a truncated bundle through the header's chain head", () => {
    const bundle = sampleBundle();
    expect(checksFailed({ ...bundle, events: bundle.events.slice(0, -1) })).toEqual([
      "chain_head",
      "close_event",
    ]);
  });

  it("detects a close that points at the wrong link or carries a different body", () => {
    const bundle = sampleBundle();
    expect(checksFailed({ ...bundle, close: { ...bundle.close, chainHead: GENESIS_HASH } })).toEqual([
      "close_position",
      "close_event",
    ]);
    expect(checksFailed({ ...bundle, close: { ...bundle.close, throughPosition: 2 } })).toEqual([
      "close_position",
      "close_event",
    ]);
    expect(checksFailed({ ...bundle, closeEventId: "deal-1" })).toEqual(["close_event"]);
  });

  it("detects a Merkle root that does not cover the statements", () => {
    const extra = [{ repId: "cy", currency: "USD", payable: "1.00", digest: canonicalDigest("cy") }];
    const rootWithoutExtra = (statements: { repId: string; digest: string }[]) =>
      merkleRoot(statements.filter((s) => s.repId !== "cy"));
    expect(checksFailed(sampleBundle({ extraStatements: extra, merkleRootOf: rootWithoutExtra }))).toEqual([
      "merkle_root",
    ]);
    expect(checksFailed(sampleBundle({ extraStatements: extra }))).toEqual([]);
    const twice = [{ repId: "ana", currency: "USD", payable: "1.00", digest: canonicalDigest("again") }];
    expect(checksFailed(sampleBundle({ extraStatements: twice, merkleRootOf: () => GENESIS_HASH }))).toEqual([
      "merkle_root",
    ]);
  });
});

describe("verifyBundleStream", () => {
  it("decodes and verifies in one pass, with the same answer as verifyBundle", async () => {
    const bundle = sampleBundle();
    const text = encodeBundle(bundle);
    const bytes = new TextEncoder().encode(text);
    const chunks = [bytes.subarray(0, 100), bytes.subarray(100, 1000), bytes.subarray(1000)];
    expect(await verifyBundleStream(chunks)).toEqual(verifyBundle(bundle, bundle.events));
    const tampered = text.replace('"amount":"120000.00"', '"amount":"1.00"');
    expect(tampered).not.toBe(text);
    const result = await verifyBundleStream([tampered]);
    expect(result).toMatchObject({ ok: false, chain: { ok: false, reason: "hash_mismatch" } });
    await expect(verifyBundleStream([""])).rejects.toThrow(/header/);
  });
});

describe("createBundle", () => {
  it("builds the header from the recorded close event and the last event, dropping store-only fields", () => {
    const bundle = sampleBundle();
    const recorded = bundle.events.map((e) => ({ ...e, recordedAt: "2026-04-10T09:00:00Z" }));
    expect(createBundle(recorded, bundle.closeEventId)).toEqual(bundle);
    expect(() => createBundle(recorded, "nope")).toThrow(/not among/);
    expect(() => createBundle(recorded, bundle.events[1]?.eventId as string)).toThrow(/not a PeriodClosed/);
  });
});

import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SqlEventStore } from "@icm/event-store-sql";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SharedPglite } from "../testing/pglite.js";
import { IcmWorkspace, NotFoundError } from "../workspace/index.js";
import {
  closeAfterConcurrentWriteReproduces,
  closedHistory,
  invalidEventIsNamed,
  longLogVerifyIsABulkRead,
  proofChecksOffline,
  reformattedEventReproduces,
  tamperIsNamed,
  verifyReproduces,
} from "./audit-scenarios.js";

// Audit replay on the embedded store: verify, tamper detection, Merkle proofs, bundles.

const db = new SharedPglite();
let store: SqlEventStore;
let dir: string;
beforeAll(() => db.start());
afterAll(() => db.stop());
beforeEach(async () => {
  store = await db.store();
  dir = await mkdtemp(join(tmpdir(), "icm-bundle-"));
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe("verify", () => {
  it("replays each close in a fresh engine: reproduced", () => verifyReproduces(store));
  it("an event edited in SQL fails verification and names the position", () => tamperIsNamed(store));
  it("an event edited into an invalid one is named, page by page as event by event", () =>
    invalidEventIsNamed(store));
  it("a stored event rewritten in another JSON form of the same content still reproduces", () =>
    reformattedEventReproduces(store));
  it("a close recorded after another writer appended past its position reproduces", () =>
    closeAfterConcurrentWriteReproduces(store));
  it("reads a log of more than one page as a bulk read, and reproduces", () =>
    longLogVerifyIsABulkRead(store));
  it("needs a closed period", async () => {
    const ws = await IcmWorkspace.open({ store });
    await expect(ws.verify("2026-Q1")).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe("Merkle proof", () => {
  it("proves one rep's statement is in the close, checkable offline", () => proofChecksOffline(store));
});

describe("audit bundle", () => {
  it("exports, then verifies on its own from the file: reproduced", async () => {
    const ws = await closedHistory(store);
    const path = join(dir, "q1.bundle.jsonl");
    await ws.exportBundle("2026-Q1", path);
    const text = await readFile(path, "utf8");
    const lines = text.trimEnd().split("\n");
    expect(lines.length).toBe(ws.lastPosition + 1);
    const report = await IcmWorkspace.verifyBundle(path);
    expect(report.findings).toEqual([]);
    expect(report.status).toBe("reproduced");
    expect(report.statementsChecked).toBe(2);
    // From the store alone (the `icm bundle` command): the same bytes, and the head's position back.
    const storedPath = join(dir, "q1.stored.bundle.jsonl");
    expect(await IcmWorkspace.exportBundleStored(store, "2026-Q1", storedPath)).toBe(ws.lastPosition);
    expect(await readFile(storedPath, "utf8")).toBe(text);
    await expect(IcmWorkspace.exportBundleStored(store, "2027-Q1", storedPath)).rejects.toThrow(
      "period 2027-Q1 is not closed",
    );
  });

  it("a bundle edited after export fails and names the broken position", async () => {
    const ws = await closedHistory(store);
    const path = join(dir, "q1.bundle.jsonl");
    await ws.exportBundle("2026-Q1", path);
    const lines = (await readFile(path, "utf8")).split("\n");
    const index = lines.findIndex((l) => l.includes('"eventId":"deal-D1"'));
    const position = (JSON.parse(lines[index] ?? "{}") as { globalPosition: number }).globalPosition;
    lines[index] = (lines[index] ?? "").replace('"amount":"60000.00"', '"amount":"90000.00"');
    await writeFile(path, lines.join("\n"));
    const report = await IcmWorkspace.verifyBundle(path);
    expect(report.status).toBe("diverged");
    expect(report.brokenAt).toBe(position);
    expect(report.divergence?.repId).toBe("ana");
  });
});

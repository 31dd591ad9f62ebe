import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { verifyInclusion } from "@icm/audit";
import { Decimal } from "@icm/events";
import { describeWith } from "@icm/testing";
import { IcmWorkspace } from "@icm/workflows";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Deployment, deploy } from "./harness.js";
import { deal, ev } from "./history.js";
import { json, loadOrganisation, positionOf } from "./setup.js";

// Finance closes, the auditor verifies, late facts arrive, someone tampers with the database: end to end over
// HTTP against PostgreSQL and NATS JetStream. The tests build on each other in order, like a real quarter.

await describeWith(["postgres", "nats"], "HTTP API: payout run, close, late facts and audit", () => {
  let d: Deployment;
  let finance: string;
  let auditor: string;
  beforeAll(async () => {
    d = await deploy("api_close");
    await loadOrganisation(d);
    finance = await d.token({ sub: "fin@example.com", role: "finance" });
    auditor = await d.token({ sub: "audit@example.com", role: "auditor" });
  });
  afterAll(async () => {
    await d?.stop();
  });

  const statement = async (repId: string, period: string) =>
    json(await d.call(`/v1/statements/${repId}/${period}`, { token: auditor }));

  it("records a finance adjustment once, however often it is posted, with the caller as author", async () => {
    const body = {
      adjustmentId: "adj-ben-rounding",
      repId: "ben",
      period: "2026-Q1",
      amount: "-0.01",
      currency: "USD",
      reason: "rounding correction",
    };
    const first = await d.call("/v1/adjustments", { token: finance, body });
    expect(first.status).toBe(201);
    expect(await json(first)).toMatchObject({
      recorded: 1,
      duplicates: 0,
      eventIds: ["adjustment-adj-ben-rounding"],
    });
    const again = await d.call("/v1/adjustments", { token: finance, body });
    expect(again.status).toBe(200);
    expect(await json(again)).toMatchObject({ recorded: 0, duplicates: 1 });
    const ben = await statement("ben", "2026-Q1");
    expect(ben.payable).toBe("3333.32");
    const line = ben.entries.find((e: { kind: string }) => e.kind === "adjustment");
    expect(line.trace.sourceEventIds).toContain("adjustment-adj-ben-rounding");
    const recorded = (await d.store.readAll({ eventTypes: ["AdjustmentRecorded"] })).events;
    expect(recorded.map((e) => (e.data as { author: string }).author)).toEqual(["fin@example.com"]);
  });

  it("previews the run: every statement's payable and digest, totals per currency, no exceptions", async () => {
    const response = await d.call("/v1/runs/2026-Q1/preview", { token: finance });
    expect(response.status).toBe(200);
    const run = await json(response);
    expect(run.statements.map((s: { repId: string; payable: string }) => [s.repId, s.payable])).toEqual([
      ["ana", "23500.00"],
      ["ben", "3333.32"],
      ["oli", "23500.00"],
    ]);
    expect(run.totals).toEqual([{ currency: "USD", payable: "50333.32", reps: 3 }]);
    expect(run.exceptions).toEqual([]);
    expect(run.canClose).toBe(true);
  });

  it("refuses to close over an open exception, then closes with finance's recorded override", async () => {
    await d.ingest.write([deal("X1", "1000.00", "2026-07-10", "ghost")]);
    const refused = await d.call("/v1/runs/2026-Q3/close", { token: finance, body: {} });
    expect(refused.status).toBe(409);
    const error = (await json(refused)).error;
    expect(error.code).toBe("close_refused");
    expect(error.details.exceptions.map((x: { code: string }) => x.code)).toContain("unknown_rep");
    const overridden = await d.call("/v1/runs/2026-Q3/close", {
      token: finance,
      body: { override: { reason: "ghost is a CRM test record" } },
    });
    expect(overridden.status).toBe(201);
    const close = (await json(overridden)).close;
    expect(close.override.reason).toBe("ghost is a CRM test record");
    expect(close.closedBy).toBe("fin@example.com");
  });

  it("closes Q1 once: the close records position, chain head, digests and Merkle root; a second close is a no-op", async () => {
    const run = await json(await d.call("/v1/runs/2026-Q1/preview", { token: finance }));
    const head = await d.store.head();
    const response = await d.call("/v1/runs/2026-Q1/close", { token: finance, body: {} });
    expect(response.status).toBe(201);
    const first = await json(response);
    expect(first.alreadyClosed).toBe(false);
    expect(first.close).toMatchObject({
      period: "2026-Q1",
      throughPosition: head.globalPosition,
      chainHead: head.hash,
      planVersions: [
        { planId: "p8-original", version: 1 },
        { planId: "p8-recompute", version: 1 },
      ],
      closedAt: "2026-04-05T09:00:00.000Z",
    });
    expect(first.close.statements).toEqual(
      run.statements.map((s: Record<string, string>) => ({
        repId: s.repId,
        currency: s.currency,
        payable: s.payable,
        digest: s.digest,
      })),
    );
    const again = await d.call("/v1/runs/2026-Q1/close", { token: finance, body: {} });
    expect(again.status).toBe(200);
    const second = await json(again);
    expect(second.alreadyClosed).toBe(true);
    expect(second.eventId).toBe(first.eventId);
    expect(second.close).toEqual(first.close);
    expect((await d.store.readAll({ eventTypes: ["PeriodClosed"] })).events.map((e) => e.eventId)).toEqual([
      "close-2026-Q3",
      "close-2026-Q1",
    ]);
  });

  it("lets the auditor verify the close: replay reproduces every digest, the Merkle root and the chain head", async () => {
    const response = await d.call("/v1/audit/2026-Q1/verify", { token: auditor });
    expect(response.status).toBe(200);
    const report = await json(response);
    expect(report).toMatchObject({
      period: "2026-Q1",
      status: "reproduced",
      statementsChecked: 3,
      findings: [],
    });
    expect(report.merkleRoot.recomputed).toBe(report.merkleRoot.recorded);
    expect(report.chainHead.found).toBe(report.chainHead.recorded);
  });

  it("hands a rep an inclusion proof of their closed statement that checks offline against the close's root", async () => {
    const ana = await d.token({ sub: "ana@example.com", role: "rep", repId: "ana" });
    const proof = await json(await d.call("/v1/audit/2026-Q1/proof/ana", { token: ana }));
    const close = (await json(await d.call("/v1/runs/2026-Q1/close", { token: finance, body: {} }))).close;
    const own = await json(await d.call("/v1/statements/ana/2026-Q1", { token: ana }));
    expect(proof.digest).toBe(own.digest);
    expect(verifyInclusion(proof as Parameters<typeof verifyInclusion>[0], close.merkleRoot)).toBe(true);
    expect(
      verifyInclusion(
        { ...proof, digest: "0".repeat(64) } as Parameters<typeof verifyInclusion>[0],
        close.merkleRoot,
      ),
    ).toBe(false);
  });

  it("exports a payroll file whose rows and totals match the statements to the cent", async () => {
    const response = await d.call("/v1/runs/2026-Q1/payroll.csv", { token: finance });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/csv/);
    const [header, ...rows] = (await response.text())
      .trimEnd()
      .split("\n")
      .map((l) => l.split(","));
    expect(header?.slice(0, 3)).toEqual(["rep", "currency", "payable"]);
    const repRows = rows.filter((r) => r[0] !== "TOTAL");
    let sum = new Decimal(0);
    for (const row of repRows) {
      const s = await statement(row[0] as string, "2026-Q1");
      expect(row[2]).toBe(s.payable);
      const kinds = header?.slice(3) ?? [];
      expect(row.slice(3)).toEqual(kinds.map((kind) => s.totals[kind]));
      sum = sum.plus(row[2] as string);
    }
    expect(repRows.map((r) => r[0])).toEqual(["ana", "ben", "oli"]);
    // One TOTAL row (one currency): every column is the sum of the rep rows above it.
    const columnSums = (header ?? [])
      .slice(2)
      .map((_, i) => repRows.reduce((acc, r) => acc.plus(r[2 + i] as string), new Decimal(0)).toFixed(2));
    expect(rows.filter((r) => r[0] === "TOTAL")).toEqual([["TOTAL", "USD", ...columnSums]]);
    expect(sum.toFixed(2)).toBe("50333.32");
  });

  it("turns a cancellation after close into −12,000 by recompute and −8,500 at the original rate, next quarter", async () => {
    const closedAna = await statement("ana", "2026-Q1");
    await d.ingest.write([
      ev("DealCancelled", "cancel-D2", {
        dealId: "D2",
        cancelDate: "2026-04-20",
        reason: "customer backed out",
      }),
      ev("DealCancelled", "cancel-O2", {
        dealId: "O2",
        cancelDate: "2026-04-20",
        reason: "customer backed out",
      }),
    ]);
    // The closed quarter never changes.
    const anaQ1 = await statement("ana", "2026-Q1");
    expect(anaQ1.digest).toBe(closedAna.digest);
    expect(anaQ1.payable).toBe("23500.00");
    expect(anaQ1.closed.eventId).toBe("close-2026-Q1");
    // Recompute: Q1 would have paid 100,000 × 10% + 10,000 × 15% = 11,500 instead of 23,500.
    const anaQ2 = await statement("ana", "2026-Q2");
    const ppa = anaQ2.entries.filter((e: { kind: string }) => e.kind === "prior_period_adjustment");
    expect(ppa.map((e: { amount: string }) => e.amount)).toEqual(["-12000.00"]);
    expect(ppa[0].trace.sourceEventIds).toContain("cancel-D2");
    expect(ppa[0].trace.sources).toContainEqual({
      eventId: "cancel-D2",
      position: await positionOf(d, "cancel-D2"),
    });
    expect(anaQ2.payable).toBe("-12000.00");
    // Original rate: deal O2's own 8,500 is reversed.
    const oliQ2 = await statement("oli", "2026-Q2");
    expect(oliQ2.totals.clawback).toBe("-8500.00");
    expect(oliQ2.totals.prior_period_adjustment).toBe("0.00");
    expect(oliQ2.payable).toBe("-8500.00");
    // The close still verifies: late facts are after its position.
    expect((await json(await d.call("/v1/audit/2026-Q1/verify", { token: auditor }))).status).toBe(
      "reproduced",
    );
  });

  it("exports an audit bundle over HTTP that verifies on its own, with no store", async () => {
    const response = await d.call("/v1/audit/2026-Q1/bundle", { token: auditor });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
    const text = await response.text();
    const lines = text.trimEnd().split("\n");
    expect(lines.length).toBe((await d.store.head()).globalPosition + 1);
    const dir = await mkdtemp(join(tmpdir(), "icm-api-bundle-"));
    try {
      const path = join(dir, "audit-2026-Q1.jsonl");
      await writeFile(path, text, "utf8");
      expect((await IcmWorkspace.verifyBundle(path)).status).toBe("reproduced");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const notClosed = await d.call("/v1/audit/2026-Q2/bundle", { token: auditor });
    expect(notClosed.status).toBe(404);
    expect((await json(notClosed)).error.code).toBe("not_found");
  });

  it("detects an event edited in the database: verify fails and names the position", async () => {
    const position = await positionOf(d, "deal-D2");
    await d.store.executor.query(
      `update "${d.schema}".events set data = replace(data, '"70000.00"', '"75000.00"') where event_id = 'deal-D2'`,
    );
    const response = await d.call("/v1/audit/2026-Q1/verify", { token: auditor });
    expect(response.status).toBe(200);
    const report = await json(response);
    expect(report.status).toBe("diverged");
    expect(report.brokenAt).toBe(position);
    expect(report.findings.some((f: { position?: number; detail: string }) => f.position === position)).toBe(
      true,
    );
  });
});

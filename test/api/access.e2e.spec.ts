import { canonicalDigest } from "@icm/events";
import { describeWith } from "@icm/testing";
import { afterAll, beforeAll, expect, it } from "vitest";
import { signToken } from "../../services/icm/src/api/index.js";
import { type Deployment, deploy, ISSUER, SECRET } from "./harness.js";
import { deal, REPS } from "./history.js";
import { type JsonBody, json, loadOrganisation, positionOf } from "./setup.js";

// Roles and tokens, input validation and the OpenAPI document, end to end over HTTP against PostgreSQL and
// NATS JetStream (writes go through the ingest pipeline's recorder).

await describeWith(["postgres", "nats"], "HTTP API: access, validation, statement queries", () => {
  let d: Deployment;
  beforeAll(async () => {
    d = await deploy("api_access");
    await loadOrganisation(d);
  });
  afterAll(async () => {
    await d?.stop();
  });

  it("serves a valid OpenAPI 3 document listing every route with its security", async () => {
    const response = await d.call("/openapi.json");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/application\/json/);
    const doc = JSON.parse(await response.text());
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        "/health",
        "/ready",
        "/openapi.json",
        "/v1/statements/{repId}/{period}",
        "/v1/statements/{repId}/{period}/entries/{entryId}",
        "/v1/statements/{repId}/{period}/diff",
        "/v1/what-if",
        "/v1/runs/{period}/preview",
        "/v1/runs/{period}/close",
        "/v1/runs/{period}/payroll.csv",
        "/v1/adjustments",
        "/v1/plans",
        "/v1/audit/{period}/verify",
        "/v1/audit/{period}/proof/{repId}",
        "/v1/audit/{period}/bundle",
      ].sort(),
    );
    const statement = doc.paths["/v1/statements/{repId}/{period}"].get;
    expect(statement.security).toEqual([{ bearerAuth: [] }]);
    expect(statement.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`).sort()).toEqual(
      ["path:period", "path:repId", "query:asOf"],
    );
    const adjustment = doc.paths["/v1/adjustments"].post.requestBody.content["application/json"].schema;
    expect(adjustment.required).toEqual(
      expect.arrayContaining(["adjustmentId", "repId", "period", "amount", "reason"]),
    );
    expect(doc.paths["/health"].get.security).toBeUndefined();
    // Structure: every operation has a summary, a success and an error answer, and declares its path params.
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, JsonBody>>)) {
      const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      for (const [method, op] of Object.entries(item)) {
        const where = `${method} ${path}`;
        expect(op.summary, where).toEqual(expect.any(String));
        expect(
          Object.keys(op.responses).some((status) => /^2/.test(status)),
          where,
        ).toBe(true);
        expect(op.responses["4XX"].content["application/json"].schema.required, where).toEqual(["error"]);
        const declared = (op.parameters ?? []).filter((p: JsonBody) => p.in === "path");
        expect(declared.map((p: JsonBody) => p.name).sort(), where).toEqual(templated);
        expect(
          declared.every((p: JsonBody) => p.required === true),
          where,
        ).toBe(true);
      }
    }
  });

  it("answers health and readiness without a token", async () => {
    expect(await json(await d.call("/health"))).toEqual({ status: "ok" });
    const ready = await d.call("/ready");
    expect(ready.status).toBe(200);
    expect((await json(ready)).status).toBe("ready");
  });

  it("rejects a missing, malformed, foreign or expired token with 401", async () => {
    const path = "/v1/statements/ana/2026-Q1";
    const missing = await d.call(path);
    expect(missing.status).toBe(401);
    expect((await json(missing)).error.code).toBe("unauthorized");
    expect((await d.call(path, { token: "not-a-jwt" })).status).toBe(401);
    const foreign = await signToken({ sub: "x", role: "finance" }, "some-other-secret-of-at-least-32-bytes", {
      issuer: ISSUER,
    });
    expect((await d.call(path, { token: foreign })).status).toBe(401);
    const otherIssuer = await signToken({ sub: "x", role: "finance" }, SECRET, { issuer: "someone-else" });
    expect((await d.call(path, { token: otherIssuer })).status).toBe(401);
    const expired = await signToken({ sub: "x", role: "finance" }, SECRET, {
      issuer: ISSUER,
      issuedAtSeconds: 1_000_000,
      expiresInSeconds: 60,
    });
    const answer = await d.call(path, { token: expired });
    expect(answer.status).toBe(401);
    expect((await json(answer)).error.message).toMatch(/exp/);
  });

  it("lets a rep read their own statement with every line's trace", async () => {
    const ana = await d.token({ sub: "ana@example.com", role: "rep", repId: "ana" });
    const response = await d.call("/v1/statements/ana/2026-Q1", { token: ana });
    expect(response.status).toBe(200);
    const s = await json(response);
    expect(s.payable).toBe("23500.00");
    expect(s.entries.map((e: { dealId: string; amount: string }) => [e.dealId, e.amount])).toEqual([
      ["D1", "6000.00"],
      ["D2", "8500.00"],
      ["D3", "9000.00"],
    ]);
    expect(s.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(s.entries[1].trace.arithmetic).toMatch(/8,500/);
    // The body is the canonical form plus position fields: without them it hashes to the digest.
    const { throughPosition: _through, digest, closed: _closed, ...canonical } = s;
    canonical.entries = s.entries.map((e: JsonBody) => ({ ...e, trace: { ...e.trace, sources: undefined } }));
    expect(canonicalDigest(JSON.parse(JSON.stringify(canonical)))).toBe(digest);
    expect(s.entries[1].trace.sourceEventIds).toContain("deal-D2");
    expect(s.entries[1].trace.sources).toContainEqual({
      eventId: "deal-D2",
      position: await positionOf(d, "deal-D2"),
    });
  });

  it("denies a rep another rep's statement with the same 403 body whether that rep exists or not", async () => {
    const ana = await d.token({ sub: "ana@example.com", role: "rep", repId: "ana" });
    const paths = (repId: string) => [
      `/v1/statements/${repId}/2026-Q1`,
      `/v1/statements/${repId}/2026-Q1?asOf=1`,
      `/v1/statements/${repId}/2026-Q1/entries/some-entry`,
      `/v1/statements/${repId}/2026-Q1/diff?from=0&to=5`,
      `/v1/audit/2026-Q1/proof/${repId}`,
    ];
    const bodies = new Set<string>();
    for (const repId of ["ben", "oli", "nobody-at-all"]) {
      for (const path of paths(repId)) {
        const response = await d.call(path, { token: ana });
        expect(response.status, path).toBe(403);
        bodies.add(await response.text());
      }
      const whatIf = await d.call("/v1/what-if", {
        token: ana,
        body: {
          repId,
          deal: {
            amount: "1000.00",
            currency: "USD",
            closeDate: "2026-05-01",
            product: "Widget",
            dealType: "new",
          },
        },
      });
      expect(whatIf.status).toBe(403);
      bodies.add(await whatIf.text());
    }
    expect([...bodies]).toEqual([JSON.stringify({ error: { code: "forbidden", message: "forbidden" } })]);
  });

  it("shows a manager exactly their team through the hierarchy, and a senior manager the whole chain below", async () => {
    const visible = async (managerId: string): Promise<string[]> => {
      const token = await d.token({ sub: `${managerId}@example.com`, role: "manager", repId: managerId });
      const seen: string[] = [];
      for (const repId of REPS) {
        const response = await d.call(`/v1/statements/${repId}/2026-Q1`, { token });
        expect([200, 403]).toContain(response.status);
        if (response.status === 200) seen.push(repId);
      }
      return seen;
    };
    expect(await visible("mia")).toEqual(["ana", "ben", "mia"]);
    expect(await visible("cal")).toEqual(["cal", "oli"]);
    expect(await visible("vp")).toEqual(["ana", "ben", "cal", "mia", "oli", "vp"]);
  });

  it("keeps each role to its own work", async () => {
    const rep = await d.token({ sub: "ana@example.com", role: "rep", repId: "ana" });
    const admin = await d.token({ sub: "admin@example.com", role: "admin" });
    const auditor = await d.token({ sub: "audit@example.com", role: "auditor" });
    const adjustment = {
      adjustmentId: "adj-denied",
      repId: "ana",
      period: "2026-Q1",
      amount: "100.00",
      currency: "USD",
      reason: "should not be recorded",
    };
    const denied: [string, string | undefined, unknown, string][] = [
      ["/v1/runs/2026-Q1/preview", undefined, undefined, rep],
      ["/v1/runs/2026-Q1/close", "POST", {}, rep],
      ["/v1/runs/2026-Q1/close", "POST", {}, auditor],
      ["/v1/runs/2026-Q1/payroll.csv", undefined, undefined, rep],
      ["/v1/adjustments", "POST", adjustment, rep],
      ["/v1/adjustments", "POST", adjustment, auditor],
      [
        "/v1/plans",
        "POST",
        { assignments: [{ repId: "ana", planId: "p8-original", version: 1, effectiveFrom: "2026-01-01" }] },
        rep,
      ],
      ["/v1/statements/ana/2026-Q1", undefined, undefined, admin],
      ["/v1/audit/2026-Q1/verify", undefined, undefined, rep],
      ["/v1/audit/2026-Q1/bundle", undefined, undefined, admin],
    ];
    const head = (await d.store.head()).globalPosition;
    for (const [path, method, body, token] of denied) {
      const response = await d.call(path, {
        token,
        ...(method === undefined ? {} : { method }),
        ...(body === undefined ? {} : { body }),
      });
      expect(response.status, `${method ?? "GET"} ${path}`).toBe(403);
    }
    expect((await d.store.head()).globalPosition).toBe(head);
    // The auditor reads everything.
    expect((await d.call("/v1/statements/oli/2026-Q1", { token: auditor })).status).toBe(200);
    expect((await d.call("/v1/runs/2026-Q1/preview", { token: auditor })).status).toBe(200);
  });

  it("rejects invalid input with 400, a stable code and the offending field", async () => {
    const finance = await d.token({ sub: "fin@example.com", role: "finance" });
    const badPeriod = await d.call("/v1/statements/ana/2026-13", { token: finance });
    expect(badPeriod.status).toBe(400);
    const badPeriodBody = await json(badPeriod);
    expect(badPeriodBody.error.code).toBe("invalid_request");
    expect(badPeriodBody.error.details).toEqual([
      { in: "params", field: "period", rule: "must be a period id such as 2026-03, 2026-Q1 or FY2026" },
    ]);
    expect(badPeriodBody.error.message).toMatch(/params\.period/);

    const badAdjustment = await d.call("/v1/adjustments", {
      token: finance,
      body: {
        adjustmentId: "adj-x",
        repId: "ana",
        period: "2026-Q1",
        amount: "12,5",
        currency: "usd",
        reason: "x",
        extra: 1,
      },
    });
    expect(badAdjustment.status).toBe(400);
    const fields = ((await json(badAdjustment)).error.details as { field: string }[])
      .map((i) => i.field)
      .sort();
    expect(fields).toEqual(expect.arrayContaining(["amount", "currency"]));

    const badDiff = await d.call("/v1/statements/ana/2026-Q1/diff?from=abc", { token: finance });
    expect(badDiff.status).toBe(400);
    expect(
      ((await json(badDiff)).error.details as { field: string }[]).map((i) => `${i.field}`).sort(),
    ).toEqual(["from", "to"]);

    const badJson = await fetch(`${d.url}/v1/what-if`, {
      method: "POST",
      headers: { authorization: `Bearer ${finance}`, "content-type": "application/json" },
      body: "{not json",
    });
    expect(badJson.status).toBe(400);
    expect((await json(badJson)).error.code).toBe("invalid_request");

    const badPlan = await d.call("/v1/plans", {
      token: await d.token({ sub: "admin@example.com", role: "admin" }),
      body: { publish: { planId: "broken", version: 1, name: "Broken", definition: { currency: "USD" } } },
    });
    expect(badPlan.status).toBe(400);
    const badPlanBody = await json(badPlan);
    expect(badPlanBody.error.code).toBe("invalid_input");
    expect(badPlanBody.error.details.length).toBeGreaterThan(0);

    const unknownRoute = await d.call("/v1/nothing-here", { token: finance });
    expect(unknownRoute.status).toBe(404);
    expect((await json(unknownRoute)).error.code).toBe("not_found");
  });

  it("explains a line with its full trace, and 404s an entry that does not exist", async () => {
    const ana = await d.token({ sub: "ana@example.com", role: "rep", repId: "ana" });
    const s = await json(await d.call("/v1/statements/ana/2026-Q1", { token: ana }));
    const line = s.entries.find((e: { dealId: string }) => e.dealId === "D2") as { id: string };
    const response = await d.call(`/v1/statements/ana/2026-Q1/entries/${encodeURIComponent(line.id)}`, {
      token: ana,
    });
    expect(response.status).toBe(200);
    const explained = await json(response);
    expect(explained).toMatchObject({
      entryId: line.id,
      amount: "8500.00",
      dealId: "D2",
      plan: "p8-recompute v1",
    });
    expect(explained.sourceEventIds).toContain("deal-D2");
    expect(explained.text).toMatch(/8,500/);
    const missing = await d.call("/v1/statements/ana/2026-Q1/entries/no-such-line", { token: ana });
    expect(missing.status).toBe(404);
    expect((await json(missing)).error.code).toBe("not_found");
  });

  it("answers as of a past position and diffs two versions naming the events behind the difference", async () => {
    const ana = await d.token({ sub: "ana@example.com", role: "rep", repId: "ana" });
    const before = (await d.store.head()).globalPosition;
    await d.ingest.write([deal("D5", "20000.00", "2026-04-15", "ana")]);
    const then = await json(await d.call(`/v1/statements/ana/2026-Q2?asOf=${before}`, { token: ana }));
    expect(then.payable).toBe("0.00");
    expect(then.throughPosition).toBe(before);
    const now = await json(await d.call("/v1/statements/ana/2026-Q2", { token: ana }));
    expect(now.payable).toBe("2000.00");
    const head = (await d.store.head()).globalPosition;
    const response = await d.call(`/v1/statements/ana/2026-Q2/diff?from=${before}&to=${head}`, {
      token: ana,
    });
    expect(response.status).toBe(200);
    const diff = await json(response);
    expect(diff).toMatchObject({ payableBefore: "0.00", payableAfter: "2000.00", payableDelta: "2000.00" });
    const added = diff.changes.filter((c: { change: string }) => c.change === "added");
    expect(added.map((c: { dealId: string }) => c.dealId)).toEqual(["D5"]);
    expect(
      added[0].causes.map((c: { eventId: string; position: number }) => [c.eventId, c.position]),
    ).toContainEqual(["deal-D5", await positionOf(d, "deal-D5")]);
  });

  it("estimates a hypothetical deal with the same engine and records nothing", async () => {
    const ana = await d.token({ sub: "ana@example.com", role: "rep", repId: "ana" });
    const head = (await d.store.head()).globalPosition;
    const response = await d.call("/v1/what-if", {
      token: ana,
      body: {
        repId: "ana",
        deal: {
          amount: "10000.00",
          currency: "USD",
          closeDate: "2026-03-25",
          product: "Widget",
          dealType: "new",
        },
      },
    });
    expect(response.status).toBe(200);
    const estimate = await json(response);
    // Ana is at 180% in Q1: another 10,000 is paid at the top band, 20%.
    expect(estimate).toMatchObject({
      repId: "ana",
      currency: "USD",
      payableDelta: "2000.00",
      periods: ["2026-Q1"],
    });
    expect((await d.store.head()).globalPosition).toBe(head);
    // Recording the same deal through the pipeline pays what the estimate said.
    await d.ingest.write([deal("D4", "10000.00", "2026-03-25", "ana")]);
    const after = await json(await d.call("/v1/statements/ana/2026-Q1", { token: ana }));
    expect(after.payable).toBe("25500.00");
  });
});

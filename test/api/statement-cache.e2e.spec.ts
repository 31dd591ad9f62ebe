import { NO_CONCURRENCY_CHECK } from "@icm/event-store";
import { type JsonObject, streamIdFor } from "@icm/events";
import { describeWith } from "@icm/testing";
import { afterAll, beforeAll, expect, it } from "vitest";
import { statementView } from "../../services/icm/src/api/index.js";
import { type Deployment, deploy } from "./harness.js";
import { deal } from "./history.js";
import { type JsonBody, loadOrganisation, positionOf } from "./setup.js";

// The statement route answers from a cache of serialised bodies keyed by (rep, period, log position) and
// coalesces the refresh every read makes. These tests pin what must not change with it: the bytes, seeing
// writes made before the read (by the API and behind its back), immutable as-of answers, access control
// before the cache, and ETag revalidation.

await describeWith(["postgres", "nats"], "HTTP API: statement cache and freshness", () => {
  let d: Deployment;
  let finance: string;
  beforeAll(async () => {
    d = await deploy("api_cache");
    await loadOrganisation(d);
    finance = await d.token({ sub: "fin@example.com", role: "finance" });
  });
  afterAll(async () => {
    await d?.stop();
  });

  /** The body the route gave before the cache: JSON.stringify of the view of the workspace's statement. */
  const uncached = (repId: string, period: string, asOf?: number): string =>
    JSON.stringify(
      statementView(d.workspace.statement(repId, period, asOf === undefined ? {} : { position: asOf })),
    );

  it("answers a cached statement with exactly the bytes of an uncached one", async () => {
    for (const path of ["/v1/statements/ana/2026-Q1", "/v1/statements/vp/2026-Q1"]) {
      const first = await d.call(path, { token: finance });
      const second = await d.call(path, { token: finance });
      expect(first.status).toBe(200);
      expect(second.status).toBe(200);
      expect(second.headers.get("content-type")).toBe("application/json; charset=utf-8");
      expect(second.headers.get("etag")).toBe(first.headers.get("etag"));
      const [a, b] = [await first.text(), await second.text()];
      expect(b).toBe(a);
      const [, , , repId, period] = path.split("/");
      expect(b).toBe(uncached(repId as string, period as string));
    }
    const asOf = await positionOf(d, "deal-D2");
    const response = await d.call(`/v1/statements/ana/2026-Q1?asOf=${asOf}`, { token: finance });
    expect(await response.text()).toBe(uncached("ana", "2026-Q1", asOf));
  });

  it("shows a write made before the read: through the API, and straight into the store", async () => {
    const before = (await (
      await d.call("/v1/statements/ben/2026-Q1", { token: finance })
    ).json()) as JsonBody;
    const posted = await d.call("/v1/adjustments", {
      token: finance,
      body: {
        adjustmentId: "cache-adj-1",
        repId: "ben",
        period: "2026-Q1",
        amount: "123.45",
        currency: "USD",
        reason: "spiff",
      },
    });
    expect(posted.status).toBe(201);
    const after = (await (await d.call("/v1/statements/ben/2026-Q1", { token: finance })).json()) as JsonBody;
    expect(after.throughPosition).toBeGreaterThan(before.throughPosition);
    expect(after.entries.length).toBe(before.entries.length + 1);
    expect(after.payable).not.toBe(before.payable);

    // Another process records a deal behind this API's back; the next read starts its refresh after the
    // write, so it must show the deal (even under concurrent readers sharing refreshes).
    const other = deal("B2", "40000.00", "2026-03-28", "ben");
    await d.store.append(
      streamIdFor(other),
      [
        {
          eventId: other.eventId,
          type: other.type,
          schemaVersion: other.schemaVersion,
          data: other.data as unknown as JsonObject,
          metadata: other.metadata as JsonObject,
        },
      ],
      NO_CONCURRENCY_CHECK,
    );
    const reads = await Promise.all(
      Array.from({ length: 20 }, () => d.call("/v1/statements/ben/2026-Q1", { token: finance })),
    );
    const head = await positionOf(d, other.eventId);
    for (const read of reads) {
      const body = (await read.json()) as JsonBody;
      expect(body.throughPosition).toBe(head);
      expect(body.entries.some((e: JsonBody) => e.dealId === "B2")).toBe(true);
    }
  });

  it("keeps an as-of answer byte-identical after new events while the latest answer moves", async () => {
    const asOf = await positionOf(d, "deal-D3");
    const path = `/v1/statements/ana/2026-Q1?asOf=${asOf}`;
    const then = await d.call(path, { token: finance });
    const thenBody = await then.text();
    const latestBefore = await d.call("/v1/statements/ana/2026-Q1", { token: finance });
    const latestBeforeTag = latestBefore.headers.get("etag");
    await latestBefore.arrayBuffer();

    await d.ingest.write([deal("D9", "15000.00", "2026-03-30", "ana")]);

    const again = await d.call(path, { token: finance });
    expect(await again.text()).toBe(thenBody);
    expect(again.headers.get("etag")).toBe(then.headers.get("etag"));
    expect(thenBody).toBe(uncached("ana", "2026-Q1", asOf));
    const latest = await d.call("/v1/statements/ana/2026-Q1", { token: finance });
    expect(latest.headers.get("etag")).not.toBe(latestBeforeTag);
    const latestBody = (await latest.json()) as JsonBody;
    expect(latestBody.entries.some((e: JsonBody) => e.dealId === "D9")).toBe(true);
    // The answer as of the old head is the old latest statement's content at that position.
    const oldHead = (JSON.parse(thenBody) as JsonBody).throughPosition;
    expect(oldHead).toBe(asOf);
  });

  it("checks access before the cache: a principal who may not read gets 403, never the cached body", async () => {
    const path = "/v1/statements/ana/2026-Q1";
    const cached = await d.call(path, { token: finance });
    const etag = cached.headers.get("etag") as string;
    await cached.arrayBuffer();
    const ben = await d.token({ sub: "ben@example.com", role: "rep", repId: "ben" });
    const cal = await d.token({ sub: "cal@example.com", role: "manager", repId: "cal" });
    for (const token of [ben, cal]) {
      const denied = await d.call(path, { token });
      expect(denied.status).toBe(403);
      expect(denied.headers.get("etag")).toBeNull();
      expect(((await denied.json()) as JsonBody).error.code).toBe("forbidden");
      // Not even a 304 that would confirm the caller's guess of the content.
      const probe = await fetch(`${d.url}${path}`, {
        headers: { authorization: `Bearer ${token}`, "if-none-match": etag },
      });
      expect(probe.status).toBe(403);
      await probe.arrayBuffer();
    }
    // ana's manager may read it: same cached bytes.
    const mia = await d.token({ sub: "mia@example.com", role: "manager", repId: "mia" });
    const allowed = await d.call(path, { token: mia });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("etag")).toBe(etag);
    await allowed.arrayBuffer();
  });

  it("answers 304 without a body to If-None-Match with the current ETag, 200 otherwise", async () => {
    const path = "/v1/statements/oli/2026-Q1";
    const first = await d.call(path, { token: finance });
    const etag = first.headers.get("etag") as string;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    const body = await first.text();
    const revalidate = (tag: string) =>
      fetch(`${d.url}${path}`, { headers: { authorization: `Bearer ${finance}`, "if-none-match": tag } });
    for (const tag of [etag, `W/${etag}`, `"stale", ${etag}`]) {
      const notModified = await revalidate(tag);
      expect(notModified.status, tag).toBe(304);
      expect(notModified.headers.get("etag")).toBe(etag);
      expect(await notModified.text()).toBe("");
    }
    const stale = await revalidate('"stale"');
    expect(stale.status).toBe(200);
    expect(await stale.text()).toBe(body);
  });
});

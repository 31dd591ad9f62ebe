import { createInMemoryEventStore, type EventStore } from "@icm/event-store";
import { defaultTopology } from "@icm/pipeline";
import { IcmWorkspace } from "@icm/workflows";
import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildApiApp } from "./app.js";
import { signToken } from "./auth.js";
import { loadApiConfig } from "./config.js";

// The API's shell on the in-memory store, through Fastify's inject (no socket): routing, auth order,
// validation errors and the OpenAPI document. The e2e suites in test/api cover the behaviour over HTTP.

const SECRET = "unit-test-secret-of-at-least-32-bytes!";
const ISSUER = "icm-unit";
let store: EventStore;
let app: FastifyInstance;

beforeEach(async () => {
  store = createInMemoryEventStore();
  const workspace = await IcmWorkspace.open({ store });
  app = await buildApiApp({ workspace, auth: { secret: SECRET, issuer: ISSUER }, today: () => "2026-06-30" });
});
afterEach(async () => {
  await app.close();
  await store.close();
});

const token = (role: "rep" | "finance" | "admin", repId?: string) =>
  signToken({ sub: `${role}@example.com`, role, ...(repId === undefined ? {} : { repId }) }, SECRET, {
    issuer: ISSUER,
  });

describe("request pipeline", () => {
  it("authenticates before validating: no token and bad input is a 401, not a 400", async () => {
    const response = await app.inject({ method: "GET", url: "/v1/statements/ana/not-a-period" });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({ error: { code: "unauthorized", message: "missing bearer token" } });
  });

  it("names every failed field of a body with the rule it broke", async () => {
    const response = await app.inject({
      method: "POST",
      url: "/v1/adjustments",
      headers: { authorization: `Bearer ${await token("finance")}` },
      payload: { repId: "ana", period: "2026-Q5", amount: "ten", currency: "USD", reason: "" },
    });
    expect(response.statusCode).toBe(400);
    const body = response.json() as { error: { code: string; details: { in: string; field: string }[] } };
    expect(body.error.code).toBe("invalid_request");
    expect(body.error.details.map((i) => `${i.in}.${i.field}`).sort()).toEqual([
      "body.adjustmentId",
      "body.amount",
      "body.period",
      "body.reason",
    ]);
  });

  it("rejects an empty plan request and a non-JSON body", async () => {
    const admin = await token("admin");
    const empty = await app.inject({
      method: "POST",
      url: "/v1/plans",
      headers: { authorization: `Bearer ${admin}` },
      payload: {},
    });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error.details).toEqual([
      { in: "body", field: "publish", rule: "publish a plan version, assign one, or both" },
    ]);
    const text = await app.inject({
      method: "POST",
      url: "/v1/plans",
      headers: { authorization: `Bearer ${admin}`, "content-type": "text/plain" },
      payload: "hello",
    });
    expect(text.statusCode).toBe(400);
    expect(text.json().error.details).toEqual([
      { in: "body", field: "(root)", rule: expect.stringMatching(/object/) },
    ]);
    const xml = await app.inject({
      method: "POST",
      url: "/v1/plans",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/xml" },
      payload: "<plan/>",
    });
    expect(xml.statusCode).toBe(415);
    expect(xml.json().error.code).toBe("invalid_request");
  });

  it("answers a period that is not closed with 404 not_found on verify, proof and bundle", async () => {
    const finance = await token("finance");
    for (const url of [
      "/v1/audit/2026-Q1/verify",
      "/v1/audit/2026-Q1/proof/ana",
      "/v1/audit/2026-Q1/bundle",
    ]) {
      const response = await app.inject({
        method: "GET",
        url,
        headers: { authorization: `Bearer ${finance}` },
      });
      expect(response.statusCode, url).toBe(404);
      expect(response.json().error.code).toBe("not_found");
    }
  });

  it("publishes every route in the OpenAPI document with the zod-derived input schemas", async () => {
    const doc = (await app.inject({ method: "GET", url: "/openapi.json" })).json() as {
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, { schema: { properties: object } }> } }>
      >;
    };
    expect(Object.keys(doc.paths)).toHaveLength(15);
    const whatIf = doc.paths["/v1/what-if"]?.post?.requestBody?.content["application/json"]?.schema;
    expect(Object.keys(whatIf?.properties ?? {})).toEqual(["repId", "deal"]);
  });
});

describe("payout run shell", () => {
  it("closes with no request body at all, and a second close returns the first", async () => {
    const finance = { authorization: `Bearer ${await token("finance")}` };
    const first = await app.inject({ method: "POST", url: "/v1/runs/2026-Q1/close", headers: finance });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({
      period: "2026-Q1",
      alreadyClosed: false,
      close: { closedBy: "finance@example.com" },
    });
    const second = await app.inject({ method: "POST", url: "/v1/runs/2026-Q1/close", headers: finance });
    expect(second.statusCode).toBe(200);
    expect(second.json().eventId).toBe(first.json().eventId);
  });

  it("answers 404 for a rep the log does not know, to a role that may read every rep", async () => {
    const response = await app.inject({
      method: "GET",
      url: "/v1/statements/nobody/2026-Q1",
      headers: { authorization: `Bearer ${await token("finance")}` },
    });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe("not_found");
  });
});

describe("routing", () => {
  it("takes long URL-encoded entry ids as path parameters", async () => {
    const entryId = encodeURIComponent(`ana/2026-Q1/commission/deal:${"D".repeat(150)}/earning`);
    const response = await app.inject({
      method: "GET",
      url: `/v1/statements/ana/2026-Q1/entries/${entryId}`,
      headers: { authorization: `Bearer ${await token("rep", "ana")}` },
    });
    // Reaches the handler (ana is not in the empty log), rather than failing in the router with 414.
    expect(response.statusCode).toBe(404);
    expect(response.json().error.message).toMatch(/no rep "ana"/);
  });
});

describe("configuration", () => {
  it("reads the environment with defaults and names every bad variable", () => {
    const config = loadApiConfig({ ICM_API_TOKEN_SECRET: SECRET, ICM_API_PORT: "9000" });
    expect(config).toMatchObject({
      port: 9000,
      host: "127.0.0.1",
      writeVia: "store",
      auth: { secret: SECRET, issuer: "icm" },
    });
    expect(() => loadApiConfig({})).toThrow(/ICM_API_TOKEN_SECRET/);
    expect(() =>
      loadApiConfig({ ICM_API_TOKEN_SECRET: SECRET, ICM_API_PORT: "70000", ICM_API_WRITE_VIA: "kafka" }),
    ).toThrow(/ICM_API_PORT.*ICM_API_WRITE_VIA|ICM_API_WRITE_VIA.*ICM_API_PORT/);
  });

  it("publishes to the streams the ingest server and the recorder are configured with", () => {
    expect(loadApiConfig({ ICM_API_TOKEN_SECRET: SECRET }).topology).toEqual(defaultTopology());
    const config = loadApiConfig({
      ICM_API_TOKEN_SECRET: SECRET,
      ICM_STREAM_NAME: "ACME_EVENTS",
      ICM_SUBJECT_PREFIX: "acme.events",
      // Another pipeline variable, invalid: not the API's business, so not its failure.
      ICM_HTTP_PORT: "not-a-port",
    });
    expect(config.topology).toMatchObject({ streamName: "ACME_EVENTS", subjectPrefix: "acme.events" });
    expect(() =>
      loadApiConfig({ ICM_API_TOKEN_SECRET: SECRET, ICM_DEAD_LETTER_STREAM_NAME: "ICM_EVENTS" }),
    ).toThrow(/ICM_DEAD_LETTER_STREAM_NAME: must differ from ICM_STREAM_NAME/);
  });
});

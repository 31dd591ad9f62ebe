import { expect } from "vitest";
import type { Deployment } from "./harness.js";
import { organisationAndDeals, section8Plan } from "./history.js";

/**
 * Loads the test organisation the way production does: HR and CRM facts through the ingest pipeline
 * (NATS → recorder → PostgreSQL), plans published and assigned by an admin over the API.
 */
export async function loadOrganisation(d: Deployment): Promise<void> {
  await d.ingest.write(organisationAndDeals());
  const admin = await d.token({ sub: "admin@example.com", role: "admin" });
  for (const [planId, method, reps] of [
    ["p8-recompute", "recompute", ["ana", "ben"]],
    ["p8-original", "original_rate", ["oli"]],
  ] as const) {
    const response = await d.call("/v1/plans", {
      token: admin,
      body: {
        publish: { planId, version: 1, name: `DOMAIN §8 plan (${method})`, definition: section8Plan(method) },
        assignments: reps.map((repId) => ({ repId, planId, version: 1, effectiveFrom: "2025-01-01" })),
      },
    });
    expect(response.status, await response.clone().text()).toBe(201);
  }
}

/** The log position of a recorded event, read from the store. */
export async function positionOf(d: Deployment, eventId: string): Promise<number> {
  for (let after = 0; ; ) {
    const page = await d.store.readAll({ after, limit: 1_000 });
    const hit = page.events.find((e) => e.eventId === eventId);
    if (hit !== undefined) return hit.globalPosition;
    if (page.isEnd) throw new Error(`${eventId} is not in the log`);
    after = page.checkpoint;
  }
}

/**
 * A parsed JSON response body. The assertions read many different shapes field by field; typing each one
 * would duplicate the API's own types in every test, and the assertions themselves check the shape.
 */
// biome-ignore lint/suspicious/noExplicitAny: see above; limited to reading response bodies in tests.
export type JsonBody = any;

export async function json(response: Response): Promise<JsonBody> {
  return response.json();
}

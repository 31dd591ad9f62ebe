import { randomBytes } from "node:crypto";
import { connect as connectNats } from "nats";
import pg from "pg";
import { describe } from "vitest";

export const POSTGRES_URL = process.env.ICM_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
export const NATS_URL = process.env.ICM_TEST_NATS_URL ?? "nats://127.0.0.1:4222";

/** Under CI (`ICM_REQUIRE_SERVICES=1`) a missing service fails the run; elsewhere its suites skip, loudly. */
export const servicesRequired = process.env.ICM_REQUIRE_SERVICES === "1";

const probeTimeoutMs = 2_000;

async function probePostgres(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: probeTimeoutMs });
  try {
    await client.connect();
    await client.query("select 1");
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function probeNats(): Promise<string | undefined> {
  try {
    const nc = await connectNats({ servers: NATS_URL, timeout: probeTimeoutMs, reconnect: false });
    const jsm = await nc.jetstreamManager();
    await jsm.getAccountInfo();
    await nc.close();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

export type Service = "postgres" | "nats";
const probes: Record<Service, () => Promise<string | undefined>> = {
  postgres: probePostgres,
  nats: probeNats,
};

// Probed once per test file (top-level await in the file that calls describeWith).
const problems = new Map<Service, Promise<string | undefined>>();
function problemWith(service: Service): Promise<string | undefined> {
  let found = problems.get(service);
  if (!found) {
    found = probes[service]();
    problems.set(service, found);
  }
  return found;
}

/**
 * `describe` that runs only when the named services answer. Call with `await` at the top level of a spec:
 *   await describeWith(["postgres"], "PostgreSQL store", () => { ... });
 * If a service is missing: with ICM_REQUIRE_SERVICES=1 the suite fails with the reason; otherwise it is
 * skipped with a notice on stderr, so a fresh machine with no servers still passes `npm test`.
 */
export async function describeWith(
  services: readonly Service[],
  name: string,
  body: () => void,
): Promise<void> {
  const missing: string[] = [];
  for (const service of services) {
    const problem = await problemWith(service);
    if (problem !== undefined) missing.push(`${service} (${problem})`);
  }
  if (missing.length === 0) {
    describe(name, body);
    return;
  }
  const reason = `needs ${missing.join(", ")}`;
  if (servicesRequired) {
    describe(name, () => {
      body();
    });
    describe(`${name} [service check]`, async () => {
      const { it } = await import("vitest");
      it("has its services (ICM_REQUIRE_SERVICES=1)", () => {
        throw new Error(`ICM_REQUIRE_SERVICES=1 but ${reason}`);
      });
    });
    return;
  }
  process.stderr.write(
    `\n[icm] SKIPPED suite "${name}": ${reason}. Set ICM_REQUIRE_SERVICES=1 to fail instead.\n`,
  );
  describe.skip(`${name} [skipped: ${reason}]`, body);
}

/** A unique, lowercase, SQL- and NATS-safe name for one test run's schema or stream. */
export function uniqueTestName(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString("hex")}`;
}

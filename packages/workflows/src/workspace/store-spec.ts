import type { EventStore } from "@icm/event-store";
import { createInMemoryEventStore } from "@icm/event-store";
import { createPgliteEventStore, createPostgresEventStore } from "@icm/event-store-sql";
import { InvalidInputError } from "./errors.js";

/** The store the CLI uses when none is given: a durable embedded PGlite under the working directory. */
export const DEFAULT_STORE_SPEC = "pglite:.data/icm";

/**
 * Opens a store from a one-string spec: `pglite` (in memory), `pglite:<dir>` (durable), `memory` (the
 * in-memory reference store), or a `postgres://` / `postgresql://` URL with an optional `?schema=<name>`.
 */
export async function openStore(spec: string = DEFAULT_STORE_SPEC): Promise<EventStore> {
  if (spec === "memory") return createInMemoryEventStore();
  if (spec === "pglite" || spec === "pglite:") return createPgliteEventStore();
  if (spec.startsWith("pglite:")) return createPgliteEventStore({ dataDir: spec.slice("pglite:".length) });
  if (spec.startsWith("postgres://") || spec.startsWith("postgresql://")) {
    const url = new URL(spec);
    const schema = url.searchParams.get("schema") ?? undefined;
    url.searchParams.delete("schema");
    return createPostgresEventStore({
      connectionString: url.toString(),
      ...(schema === undefined ? {} : { schema }),
    });
  }
  throw new InvalidInputError(
    `unknown store ${JSON.stringify(spec)}: use pglite, pglite:<dir>, memory or a postgres:// URL`,
  );
}

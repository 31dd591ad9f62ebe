import { sha256Hex } from "@icm/events";

/**
 * EventStoreDB wants a UUID per event and deduplicates retries by it; our event ids are free-form
 * idempotency keys. The UUID is derived from (namespace, eventId) with SHA-256, so the same key always
 * maps to the same UUID (the server's dedupe then lines up with ours) and two stores never collide.
 * Version/variant bits are set as for a name-based UUID (RFC 9562 layout).
 */
export function eventUuid(namespace: string, eventId: string): string {
  const hex = sha256Hex(`${namespace}\u0000${eventId}`).slice(0, 32);
  const bytes = hex.match(/../g)?.map((pair) => Number.parseInt(pair, 16)) ?? [];
  if (bytes.length !== 16) throw new Error("uuid derivation produced the wrong number of bytes");
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const h = bytes.map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Namespaces prefix every stream name; they can never start with `$` (EventStoreDB system streams). */
const namespacePattern = /^[a-z][a-z0-9_]{0,62}$/;

export class InvalidNamespaceError extends Error {
  override readonly name = "InvalidNamespaceError";
  constructor(readonly namespace: string) {
    super(`namespace ${JSON.stringify(namespace)} must match ${String(namespacePattern)}`);
  }
}

export function assertNamespace(namespace: string): void {
  if (!namespacePattern.test(namespace)) throw new InvalidNamespaceError(namespace);
}

/** EventStoreDB stream name of one of our streams. */
export function esdbStreamName(namespace: string, streamId: string): string {
  return `${namespace}:${streamId}`;
}

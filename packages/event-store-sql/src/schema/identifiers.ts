import { sha256Hex } from "@icm/events";

/**
 * Schema names are restricted to lowercase letters, digits and underscores (at most 63 bytes, the
 * PostgreSQL identifier limit) so that a name read from configuration can never smuggle SQL; they are
 * quoted on top of that.
 */
const schemaNamePattern = /^[a-z_][a-z0-9_]{0,62}$/;

export class InvalidSchemaNameError extends Error {
  override readonly name = "InvalidSchemaNameError";
  constructor(readonly schema: string) {
    super(`schema name ${JSON.stringify(schema)} must match ${String(schemaNamePattern)}`);
  }
}

export function assertSchemaName(schema: string): void {
  if (!schemaNamePattern.test(schema)) throw new InvalidSchemaNameError(schema);
}

/** Quotes one identifier (doubling embedded quotes), whatever it contains. */
export function quoteIdentifier(name: string): string {
  if (name.length === 0 || name.includes("\u0000")) throw new InvalidSchemaNameError(name);
  return `"${name.replaceAll('"', '""')}"`;
}

/** Fully qualified, quoted names of the store's objects in one schema. */
export interface StoreTables {
  readonly schema: string;
  readonly schemaQuoted: string;
  readonly events: string;
  /** For `nextval($1::regclass)`: passed as a parameter, never spliced into SQL text. */
  readonly positionSequence: string;
  /** Key for pg_advisory_xact_lock(bigint) that serialises appends to this schema's chain. */
  readonly appendLockKey: string;
  /** LISTEN/NOTIFY channel on which appends announce their commit (short: channels are identifiers). */
  readonly commitChannel: string;
}

export function storeTables(schema: string): StoreTables {
  assertSchemaName(schema);
  const schemaQuoted = quoteIdentifier(schema);
  return {
    schema,
    schemaQuoted,
    events: `${schemaQuoted}.${quoteIdentifier("events")}`,
    positionSequence: `${schemaQuoted}.${quoteIdentifier("events_global_position_seq")}`,
    appendLockKey: advisoryLockKey(`icm-event-store:append:${schema}`),
    commitChannel: `icm_events_${sha256Hex(schema).slice(0, 16)}`,
  };
}

/** A signed 64-bit key derived from a name, as a decimal string (bigints travel as strings). */
export function advisoryLockKey(name: string): string {
  return BigInt.asIntN(64, BigInt(`0x${sha256Hex(name).slice(0, 16)}`)).toString();
}

/** A fixed key for migrations: concurrent `migrate()` calls on a fresh database must not race. */
export const MIGRATION_LOCK_KEY = advisoryLockKey("icm-event-store:migrate");

import { quoteIdentifier, type SqlEventStore } from "@icm/event-store-sql";
import { canonicalJson, type JsonObject } from "@icm/events";

/**
 * What an attacker (or a careless DBA) can do: rewrite a stored event's data with plain SQL, behind the
 * store's back, leaving its stored hash as it was. Tests only.
 */
export async function editStoredEvent(
  store: SqlEventStore,
  globalPosition: number,
  edit: (data: JsonObject) => JsonObject,
): Promise<void> {
  const table = `${quoteIdentifier(store.schema)}.${quoteIdentifier("events")}`;
  const rows = await store.executor.query<{ data: string }>(
    `SELECT data FROM ${table} WHERE global_position = $1::bigint`,
    [String(globalPosition)],
  );
  const row = rows[0];
  if (row === undefined) throw new RangeError(`no event at position ${globalPosition}`);
  const data = edit(JSON.parse(row.data) as JsonObject);
  await store.executor.query(`UPDATE ${table} SET data = $2 WHERE global_position = $1::bigint`, [
    String(globalPosition),
    canonicalJson(data),
  ]);
}

/**
 * Replaces a stored event's data text as is (no canonical encoding): e.g. the same content in another JSON
 * form, as a migration or a DBA's export and re-import could leave it. Tests only.
 */
export async function rewriteStoredDataText(
  store: SqlEventStore,
  globalPosition: number,
  text: string,
): Promise<void> {
  const table = `${quoteIdentifier(store.schema)}.${quoteIdentifier("events")}`;
  const rows = await store.executor.query(
    `UPDATE ${table} SET data = $2 WHERE global_position = $1::bigint RETURNING global_position`,
    [String(globalPosition), text],
  );
  if (rows.length !== 1) throw new RangeError(`no event at position ${globalPosition}`);
}

/** The global position of a stored event by id. */
export async function positionOfEvent(store: SqlEventStore, eventId: string): Promise<number> {
  const table = `${quoteIdentifier(store.schema)}.${quoteIdentifier("events")}`;
  const rows = await store.executor.query<{ global_position: string | number }>(
    `SELECT global_position FROM ${table} WHERE event_id = $1`,
    [eventId],
  );
  if (rows[0] === undefined) throw new RangeError(`no event ${eventId}`);
  return Number(rows[0].global_position);
}

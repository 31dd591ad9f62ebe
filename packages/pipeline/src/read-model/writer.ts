import type { Partition } from "../projector/partition.js";
import type { StatementRows } from "./rows.js";
import { quoteSchema, type SqlQueryable } from "./sql.js";

/** Rows per INSERT: keeps each statement's JSON parameter well below a few MB. */
export const MAX_ROWS_PER_INSERT = 2_000;

export class CheckpointConflictError extends Error {
  override readonly name = "CheckpointConflictError";
  constructor(
    readonly projection: string,
    readonly partition: Partition,
    readonly expected: number,
  ) {
    super(
      `checkpoint of ${projection} partition ${partition.index}/${partition.count} is no longer at ${expected}: ` +
        "another instance of the same partition is writing, or the read model was reset underneath this one",
    );
  }
}

export interface CheckpointKey {
  readonly projection: string;
  readonly partition: Partition;
}

export async function readCheckpoint(sql: SqlQueryable, schema: string, key: CheckpointKey): Promise<number> {
  const rows = await sql.query<{ position: string | number }>(
    `select position from ${quoteSchema(schema)}.rm_checkpoints
      where projection = $1 and partition_index = $2 and partition_count = $3`,
    [key.projection, key.partition.index, key.partition.count],
  );
  const row = rows[0];
  return row === undefined ? 0 : Number(row.position);
}

/** For operators and tests: moves a checkpoint (e.g. back, to re-project a suffix of the log). */
export async function setCheckpoint(sql: SqlQueryable, schema: string, key: CheckpointKey, position: number) {
  await sql.query(
    `insert into ${quoteSchema(schema)}.rm_checkpoints (projection, partition_index, partition_count, position)
     values ($1, $2, $3, $4)
     on conflict (projection, partition_index, partition_count) do update set position = excluded.position`,
    [key.projection, key.partition.index, key.partition.count, position],
  );
}

/**
 * Moves the checkpoint from `from` to `to`, failing if it is not at `from`: a fence against two instances of
 * the same partition, whose interleaved writes could otherwise leave rows from an older position behind.
 */
async function advanceCheckpoint(
  tx: SqlQueryable,
  schema: string,
  key: CheckpointKey,
  from: number,
  to: number,
) {
  const s = quoteSchema(schema);
  const params = [key.projection, key.partition.index, key.partition.count, from, to];
  const updated = await tx.query(
    `update ${s}.rm_checkpoints set position = $5
      where projection = $1 and partition_index = $2 and partition_count = $3 and position = $4
      returning position`,
    params,
  );
  if (updated.length === 1) return;
  if (from === 0) {
    const inserted = await tx.query(
      `insert into ${s}.rm_checkpoints (projection, partition_index, partition_count, position)
       values ($1, $2, $3, $4) on conflict do nothing returning position`,
      [key.projection, key.partition.index, key.partition.count, to],
    );
    if (inserted.length === 1) return;
  }
  throw new CheckpointConflictError(key.projection, key.partition, from);
}

function chunks<T>(rows: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < rows.length; start += MAX_ROWS_PER_INSERT) {
    out.push(rows.slice(start, start + MAX_ROWS_PER_INSERT));
  }
  return out;
}

/** Inserts rows through one JSON parameter: the same SQL runs on PostgreSQL and PGlite, whatever the row count. */
async function insertRows(
  tx: SqlQueryable,
  table: string,
  columns: readonly (readonly [name: string, type: string])[],
  rows: readonly object[],
  conflict = "",
): Promise<void> {
  const names = columns.map(([name]) => name).join(", ");
  const record = columns.map(([name, type]) => `${name} ${type}`).join(", ");
  for (const chunk of chunks(rows)) {
    await tx.query(
      `insert into ${table} (${names}) select ${names} from jsonb_to_recordset($1::jsonb) as x(${record}) ${conflict}`,
      [JSON.stringify(chunk)],
    );
  }
}

const ENTRY_COLUMNS = [
  ["rep_id", "text"],
  ["period", "text"],
  ["ordinal", "integer"],
  ["entry_id", "text"],
  ["kind", "text"],
  ["amount", "numeric"],
  ["currency", "text"],
  ["quota_period", "text"],
  ["business_date", "text"],
  ["deal_id", "text"],
  ["trace", "text"],
] as const;
const EXCEPTION_COLUMNS = [
  ["ordinal", "integer"],
  ["code", "text"],
  ["deal_id", "text"],
  ["message", "text"],
  ["source_event_ids", "text"],
  ["positions", "text"],
] as const;

export interface ReadModelBatch {
  /** One item per rep-period to replace, sorted by (repId, period). */
  readonly statements: readonly StatementRows[];
  /** Period-level exceptions to replace, by period (written by partition 0 only). */
  readonly periodExceptions: ReadonlyMap<string, readonly object[]>;
  readonly checkpoint: CheckpointKey & { readonly from: number; readonly to: number };
}

/**
 * Replaces the given rep-periods' rows and moves the checkpoint, in the caller's transaction. Rows are
 * replaced, never incremented, so writing the same rep-period twice converges on the same content.
 */
export async function writeBatch(tx: SqlQueryable, schema: string, batch: ReadModelBatch): Promise<void> {
  const s = quoteSchema(schema);
  if (batch.statements.length > 0) {
    const keys = JSON.stringify(
      batch.statements.map((r) => ({ rep_id: r.statement.rep_id, period: r.statement.period })),
    );
    for (const table of ["rm_ledger_entries", "rm_exceptions"]) {
      await tx.query(
        `delete from ${s}.${table} t using jsonb_to_recordset($1::jsonb) as k(rep_id text, period text)
          where t.rep_id = k.rep_id and t.period = k.period`,
        [keys],
      );
    }
    await insertRows(
      tx,
      `${s}.rm_ledger_entries`,
      ENTRY_COLUMNS,
      batch.statements.flatMap((r) => r.entries),
    );
    await insertRows(
      tx,
      `${s}.rm_exceptions`,
      [["rep_id", "text"], ["period", "text"], ...EXCEPTION_COLUMNS],
      batch.statements.flatMap((r) => r.exceptions),
    );
    await insertRows(
      tx,
      `${s}.rm_statements`,
      [
        ["rep_id", "text"],
        ["period", "text"],
        ["currency", "text"],
        ["payable", "numeric"],
        ["digest", "text"],
        ["statement", "text"],
        ["rows_digest", "text"],
      ],
      batch.statements.map((r) => r.statement),
      `on conflict (rep_id, period) do update set currency = excluded.currency, payable = excluded.payable,
         digest = excluded.digest, statement = excluded.statement, rows_digest = excluded.rows_digest`,
    );
    // Several payout periods report the same quota period (months of a quarter): one row per key, else
    // PostgreSQL refuses to update a row twice in one statement. They were computed from the same facts.
    const attainment = new Map<string, object>();
    for (const rows of batch.statements) {
      for (const row of rows.attainment) attainment.set(`${row.rep_id}\u0000${row.quota_period}`, row);
    }
    await insertRows(
      tx,
      `${s}.rm_attainment`,
      [
        ["rep_id", "text"],
        ["quota_period", "text"],
        ["currency", "text"],
        ["credit", "numeric"],
        ["quota", "numeric"],
        ["ratio", "numeric"],
      ],
      [...attainment.values()],
      `on conflict (rep_id, quota_period) do update set currency = excluded.currency, credit = excluded.credit,
         quota = excluded.quota, ratio = excluded.ratio`,
    );
  }
  if (batch.periodExceptions.size > 0) {
    const periods = [...batch.periodExceptions.keys()];
    await tx.query(
      `delete from ${s}.rm_period_exceptions where period in (select jsonb_array_elements_text($1::jsonb))`,
      [JSON.stringify(periods)],
    );
    await insertRows(
      tx,
      `${s}.rm_period_exceptions`,
      [["period", "text"], ["rep_id", "text"], ...EXCEPTION_COLUMNS],
      [...batch.periodExceptions.values()].flat(),
    );
  }
  const { from, to } = batch.checkpoint;
  await advanceCheckpoint(tx, schema, batch.checkpoint, from, to);
}

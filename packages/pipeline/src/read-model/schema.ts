import { quoteSchema, type SqlQueryable, type SqlTransactional } from "./sql.js";

/**
 * Read-model tables, prefixed `rm_` so they can share a schema with the event store's own tables.
 * Amounts are `numeric` (never float); decimal text from the engine is inserted as is, so the scale the plan
 * rounded to is kept. Statements also keep their canonical JSON: the bytes whose SHA-256 is `digest`.
 */
export const READ_MODEL_TABLES = [
  "rm_statements",
  "rm_ledger_entries",
  "rm_attainment",
  "rm_exceptions",
  "rm_period_exceptions",
  "rm_checkpoints",
] as const;

export function readModelDdl(schema: string): string[] {
  const s = quoteSchema(schema);
  return [
    `create schema if not exists ${s}`,
    `create table if not exists ${s}.rm_checkpoints (
       projection text not null,
       partition_index integer not null,
       partition_count integer not null,
       position bigint not null,
       primary key (projection, partition_index, partition_count))`,
    `create table if not exists ${s}.rm_statements (
       rep_id text not null,
       period text not null,
       currency text not null,
       payable numeric not null,
       digest text not null,
       statement text not null,
       rows_digest text not null,
       primary key (rep_id, period))`,
    `create table if not exists ${s}.rm_ledger_entries (
       rep_id text not null,
       period text not null,
       ordinal integer not null,
       entry_id text not null,
       kind text not null,
       amount numeric not null,
       currency text not null,
       quota_period text,
       business_date text not null,
       deal_id text,
       trace text not null,
       primary key (rep_id, period, ordinal))`,
    `create index if not exists rm_ledger_entries_deal on ${s}.rm_ledger_entries (deal_id) where deal_id is not null`,
    `create table if not exists ${s}.rm_attainment (
       rep_id text not null,
       quota_period text not null,
       currency text not null,
       credit numeric not null,
       quota numeric,
       ratio numeric,
       primary key (rep_id, quota_period))`,
    `create table if not exists ${s}.rm_exceptions (
       rep_id text not null,
       period text not null,
       ordinal integer not null,
       code text not null,
       deal_id text,
       message text not null,
       source_event_ids text not null,
       positions text not null,
       primary key (rep_id, period, ordinal))`,
    `create table if not exists ${s}.rm_period_exceptions (
       period text not null,
       ordinal integer not null,
       code text not null,
       rep_id text,
       deal_id text,
       message text not null,
       source_event_ids text not null,
       positions text not null,
       primary key (period, ordinal))`,
  ];
}

/**
 * Idempotent: safe at every projector start. Serialized by an advisory lock because `create ... if not
 * exists` is not safe against itself: two partitions starting at once can both try to create a table.
 */
export async function migrateReadModel(sql: SqlTransactional, schema: string): Promise<void> {
  await sql.transaction(async (tx) => {
    await tx.query("select pg_advisory_xact_lock(hashtext($1))", [`icm-read-model:${schema}`]);
    for (const statement of readModelDdl(schema)) await tx.query(statement);
  });
}

/**
 * Empties every read-model table and forgets every checkpoint of every partition (the `rebuild` command).
 * Stop all projector instances first: a running one would keep writing from its old position.
 */
export async function resetReadModel(sql: SqlQueryable, schema: string): Promise<void> {
  const s = quoteSchema(schema);
  await sql.query(`truncate ${READ_MODEL_TABLES.map((t) => `${s}.${t}`).join(", ")}`);
}

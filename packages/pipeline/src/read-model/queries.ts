import { quoteSchema, type SqlQueryable } from "./sql.js";

export interface StatementSummary {
  readonly repId: string;
  readonly period: string;
  readonly currency: string;
  readonly payable: string;
  readonly digest: string;
}

/** Every projected statement's digest, sorted by (repId, period): what two pipelines are compared on. */
export async function readStatementSummaries(sql: SqlQueryable, schema: string): Promise<StatementSummary[]> {
  const rows = await sql.query<{
    rep_id: string;
    period: string;
    currency: string;
    payable: string;
    digest: string;
  }>(
    `select rep_id, period, currency, payable::text as payable, digest from ${quoteSchema(schema)}.rm_statements
      order by rep_id collate "C", period collate "C"`,
  );
  return rows.map((r) => ({
    repId: r.rep_id,
    period: r.period,
    currency: r.currency,
    payable: r.payable,
    digest: r.digest,
  }));
}

/** Which rep-periods have rows, with the digest of those rows (a projector reloads this at start). */
export async function readRowDigests(
  sql: SqlQueryable,
  schema: string,
): Promise<{ repId: string; period: string; rowsDigest: string }[]> {
  const rows = await sql.query<{ rep_id: string; period: string; rows_digest: string }>(
    `select rep_id, period, rows_digest from ${quoteSchema(schema)}.rm_statements`,
  );
  return rows.map((r) => ({ repId: r.rep_id, period: r.period, rowsDigest: r.rows_digest }));
}

/** The canonical JSON of one projected statement, or undefined. */
export async function readStatementJson(
  sql: SqlQueryable,
  schema: string,
  repId: string,
  period: string,
): Promise<string | undefined> {
  const rows = await sql.query<{ statement: string }>(
    `select statement from ${quoteSchema(schema)}.rm_statements where rep_id = $1 and period = $2`,
    [repId, period],
  );
  return rows[0]?.statement;
}

const DUMPED_TABLES = [
  ["rm_statements", "rep_id, period"],
  ["rm_ledger_entries", "rep_id, period, ordinal"],
  ["rm_attainment", "rep_id, quota_period"],
  ["rm_exceptions", "rep_id, period, ordinal"],
  ["rm_period_exceptions", "period, ordinal"],
] as const;

/**
 * Every read-model row (checkpoints excluded) as sorted text, for "equals a clean rebuild" comparisons.
 * Text is compared with the C collation so the order does not depend on the server's locale.
 */
export async function dumpReadModel(sql: SqlQueryable, schema: string): Promise<Record<string, string[]>> {
  const s = quoteSchema(schema);
  const dump: Record<string, string[]> = {};
  for (const [table, key] of DUMPED_TABLES) {
    const order = key
      .split(", ")
      .map((column) => (column === "ordinal" ? column : `${column} collate "C"`))
      .join(", ");
    const rows = await sql.query<{ row: string }>(
      `select t::text as row from ${s}.${table} t order by ${order}`,
    );
    dump[table] = rows.map((r) => r.row);
  }
  return dump;
}

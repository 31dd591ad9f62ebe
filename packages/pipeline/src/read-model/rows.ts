import {
  canonicalDigest,
  canonicalJson,
  type Decimal,
  formatDecimal,
  roundDecimal,
  sha256Hex,
} from "@icm/events";
import type { ExceptionView, StatementView } from "../projector/engine-port.js";

/** One rep-period's statement as read-model rows. Text columns hold canonical JSON; amounts decimal text. */
export interface StatementRows {
  readonly statement: {
    rep_id: string;
    period: string;
    currency: string;
    payable: string;
    digest: string;
    statement: string;
    /** SHA-256 of all of this rep-period's rows, positions included: unchanged → nothing to write. */
    rows_digest: string;
  };
  readonly entries: readonly Record<string, string | number | null>[];
  readonly attainment: readonly Record<string, string | null>[];
  readonly exceptions: readonly Record<string, string | number | null>[];
}

function exceptionRow(exception: ExceptionView, ordinal: number) {
  return {
    ordinal,
    code: exception.code,
    rep_id: exception.repId ?? null,
    deal_id: exception.dealId ?? null,
    message: exception.message,
    source_event_ids: canonicalJson(exception.sourceEventIds),
    positions: canonicalJson(exception.positions),
  };
}

/** `canonical` is the statement's canonical form; its digest is the SHA-256 of the canonical JSON bytes. */
export function statementRows(statement: StatementView, canonical: unknown): StatementRows {
  const { repId, period, currency, scale } = statement;
  const text = canonicalJson(canonical);
  // Money at the statement's scale ("8633.80"), rounded exactly as its canonical form rounds it.
  const money = (value: Decimal) => formatDecimal(roundDecimal(value, scale, "HALF_EVEN"), scale);
  // The ordinal keeps the engine's entry order (business-time order), which is what a statement shows.
  const entries = statement.entries.map((entry, ordinal) => ({
    rep_id: repId,
    period,
    ordinal,
    entry_id: entry.id,
    kind: entry.kind,
    amount: money(entry.amount),
    currency: entry.currency,
    quota_period: entry.quotaPeriod ?? null,
    business_date: entry.businessDate,
    deal_id: entry.dealId ?? null,
    trace: canonicalJson(entry.trace),
  }));
  const attainment = statement.attainment.map((a) => ({
    rep_id: repId,
    quota_period: a.quotaPeriod,
    currency,
    credit: money(a.credit),
    quota: a.quota === undefined ? null : money(a.quota),
    ratio: a.ratio === undefined ? null : formatDecimal(a.ratio),
  }));
  const exceptions = statement.exceptions.map((e, ordinal) => ({
    ...exceptionRow(e, ordinal),
    rep_id: repId,
    period,
  }));
  const payable = money(statement.payable);
  return {
    statement: {
      rep_id: repId,
      period,
      currency,
      payable,
      digest: sha256Hex(text),
      statement: text,
      rows_digest: canonicalDigest({ text, payable, entries, attainment, exceptions }),
    },
    entries,
    attainment,
    exceptions,
  };
}

export function periodExceptionRows(period: string, exceptions: readonly ExceptionView[]) {
  return exceptions.map((e, ordinal) => ({ ...exceptionRow(e, ordinal), period }));
}

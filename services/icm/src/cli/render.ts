import type { CalculationException, EntryExplanation, Statement } from "@icm/engine";
import type { CloseResult, PayoutRunPreview, StatementDiff, VerifyReport } from "@icm/workflows";
import { money } from "@icm/workflows";
import Table from "cli-table3";

// Text for people. Every command also has --json for machines; these renderers never decide anything.

type Row = (string | number)[];

export function table(head: string[], rows: Row[], align: ("left" | "right")[] = []): string {
  const t = new Table({
    head,
    style: { head: [], border: [], compact: true },
    colAligns: head.map((_, i) => align[i] ?? "left"),
  });
  for (const r of rows) t.push(r.map(String));
  return `${t.toString()}\n`;
}

export function exceptionsTable(exceptions: readonly CalculationException[], limit = 10): string {
  if (exceptions.length === 0) return "No open exceptions.\n";
  const rows = exceptions
    .slice(0, limit)
    .map((x) => [x.code, x.repId ?? "", x.period ?? "", x.dealId ?? "", truncate(x.message, 50)]);
  const more = exceptions.length > limit ? `... and ${exceptions.length - limit} more\n` : "";
  return `${exceptions.length} open exception(s):\n${table(["code", "rep", "period", "deal", "message"], rows)}${more}`;
}

export function previewText(run: PayoutRunPreview, limit = 20): string {
  const status = run.closed
    ? `CLOSED by ${run.closed.eventId} at position ${run.closed.position}`
    : run.canClose
      ? "open, ready to close"
      : "open, blocked by exceptions";
  const head = `Payout run ${run.period} (through log position ${run.throughPosition}): ${status}\n`;
  const rows = run.statements
    .slice(0, limit)
    .map((s) => [s.repId, s.currency, s.payable, s.exceptions, `${s.digest.slice(0, 12)}…`]);
  const more =
    run.statements.length > limit ? `... and ${run.statements.length - limit} more statements\n` : "";
  const totals = table(
    ["currency", "reps", "payable"],
    run.totals.map((t) => [t.currency, t.reps, t.payable]),
    ["left", "right", "right"],
  );
  return `${head}${table(["rep", "currency", "payable", "exceptions", "digest"], rows, ["left", "left", "right", "right"])}${more}Totals:\n${totals}${exceptionsTable(run.exceptions)}`;
}

export function closeText(result: CloseResult): string {
  const c = result.close;
  const lines = [
    result.alreadyClosed
      ? `Period ${result.period} was already closed: returning the first close (nothing recorded).`
      : `Closed ${result.period}.`,
    `  close event     ${result.eventId} at log position ${result.position}`,
    `  computed through position ${c.throughPosition}, chain head ${c.chainHead}`,
    `  statements      ${c.statements.length}, Merkle root ${c.merkleRoot}`,
    `  plan versions   ${c.planVersions.map((p) => `${p.planId} v${p.version}`).join(", ") || "none"}`,
    `  engine          ${c.engineVersion}`,
    `  closed by       ${c.closedBy}${c.closedAt ? ` at ${c.closedAt}` : ""}`,
  ];
  if (c.override)
    lines.push(
      `  OVERRIDE        "${c.override.reason}" over ${c.override.exceptions.length} open exception(s)`,
    );
  return `${lines.join("\n")}\n`;
}

export function statementText(s: Statement, options: { explain?: boolean } = {}): string {
  const m = (d: Statement["payable"]) => money(d, s.scale);
  const head = [
    `Statement ${s.repId} ${s.period} (${s.currency}), as of log position ${s.throughPosition}${s.closed ? `, CLOSED by ${s.closed.eventId}` : ", open"}`,
    `  plans: ${s.plans.map((p) => `${p.planId} v${p.version}`).join(", ") || "none"}`,
    ...s.attainment.map(
      (a) =>
        `  attainment ${a.quotaPeriod}: credit ${money(a.credit, s.scale)}${a.quota ? ` / quota ${money(a.quota, s.scale)}` : ""}${a.ratio ? ` = ${a.ratio.times(100).toFixed(1)}%` : ""}`,
    ),
    `  opening balance: draw deficit ${m(s.openingBalance.drawDeficit)}, held back ${m(s.openingBalance.heldBack)}`,
  ];
  const rows = s.entries.map((e) => [
    e.businessDate,
    e.kind,
    e.dealId ?? "",
    money(e.amount, s.scale),
    truncate(options.explain === false ? e.id : e.trace.explanation, 60),
  ]);
  const entries =
    rows.length === 0
      ? "  (no entries)\n"
      : table(["date", "kind", "deal", "amount", "why"], rows, ["left", "left", "left", "right"]);
  const totals = Object.entries(s.totals)
    .filter(([, v]) => !v.isZero())
    .map(([k, v]) => `${k} ${m(v)}`)
    .join(", ");
  const tail = [
    `  totals: ${totals || "none"}`,
    `  PAYABLE ${m(s.payable)} ${s.currency}`,
    `  closing balance: draw deficit ${m(s.closingBalance.drawDeficit)}, held back ${m(s.closingBalance.heldBack)}`,
  ];
  const exceptions = s.exceptions.length === 0 ? "" : exceptionsTable(s.exceptions);
  return `${head.join("\n")}\n${entries}${tail.join("\n")}\n${exceptions}`;
}

export function explainText(x: EntryExplanation): string {
  return `Entry ${x.entryId}\n${x.text}\nInputs:\n${Object.entries(x.inputs)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `  ${k} = ${v}`)
    .join("\n")}\n`;
}

export function diffText(d: StatementDiff): string {
  const head = `Statement ${d.repId} ${d.period}: position ${d.fromPosition} → ${d.toPosition}: payable ${d.payableBefore} → ${d.payableAfter} (${d.payableDelta.startsWith("-") ? "" : "+"}${d.payableDelta} ${d.currency})\n`;
  if (d.changes.length === 0) return `${head}No differences.\n`;
  const rows = d.changes.map((c) => [
    c.change,
    c.kind,
    c.dealId ?? "",
    c.before ?? "",
    c.after ?? "",
    c.delta,
    c.causes.map((x) => `${x.eventId}@${x.position}`).join(", "),
  ]);
  return `${head}${table(["change", "kind", "deal", "before", "after", "delta", "because of"], rows, ["left", "left", "left", "right", "right", "right"])}`;
}

const MAX_FINDINGS_PER_CHECK = 3;

export function verifyText(r: VerifyReport): string {
  const lines = [
    `Close of ${r.period} (${r.closeEventId} at position ${r.closePosition}, through ${r.throughPosition}): ${r.status.toUpperCase()}`,
    `  ${r.eventsReplayed} events replayed in a fresh engine, ${r.statementsChecked} statements compared`,
    `  Merkle root  recorded ${r.merkleRoot.recorded}`,
    `               recomputed ${r.merkleRoot.recomputed}`,
    `  chain head   recorded ${r.chainHead.recorded}`,
    `               found ${r.chainHead.found || "(missing)"}`,
  ];
  if (r.brokenAt !== undefined) lines.push(`  FIRST BROKEN LOG POSITION: ${r.brokenAt}`);
  if (r.divergence)
    lines.push(
      `  FIRST DIVERGENCE: rep ${r.divergence.repId}, line ${r.divergence.line}: expected ${r.divergence.expected}, found ${r.divergence.found}`,
    );
  // The first few findings of each kind; the rest are counted (--json has them all).
  const shown = new Map<string, number>();
  for (const f of r.findings) {
    const n = (shown.get(f.check) ?? 0) + 1;
    shown.set(f.check, n);
    if (n <= MAX_FINDINGS_PER_CHECK) lines.push(`  - [${f.check}] ${f.detail}`);
  }
  for (const [check, n] of shown)
    if (n > MAX_FINDINGS_PER_CHECK) lines.push(`  - [${check}] ... and ${n - MAX_FINDINGS_PER_CHECK} more`);
  return `${lines.join("\n")}\n`;
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPgliteEventStore } from "@icm/event-store-sql";
import { Decimal, type DomainEvent, makeEvent } from "@icm/events";
import { generateScenario } from "@icm/scenario";
import { CloseRefusedError, IcmWorkspace, money, type VerifyReport } from "@icm/workflows";
import type { CliIo } from "./io.js";
import { progress } from "./progress.js";
import { closeText, explainText, previewText, statementText, table, verifyText } from "./render.js";

export interface DemoOptions {
  readonly seed?: number;
  /** Individual-contributor reps (managers, directors and a VP come on top). */
  readonly reps?: number;
  readonly deals?: number;
  /** Events recorded per append call of the workspace. */
  readonly batchSize?: number;
  /** Skip the tamper check on a copy of the audit bundle. */
  readonly skipTamper?: boolean;
}

export interface DemoResult {
  readonly events: number;
  readonly reps: number;
  readonly closes: readonly { period: string; position: number; overridden: boolean; statements: number }[];
  readonly verifications: readonly VerifyReport[];
  readonly lateDeal?: { dealId: string; period: string; adjustments: LateAdjustment[] };
  /** The tamper check's report (diverged, naming the edited position), when it ran. */
  readonly tamper?: { position: number; report: VerifyReport };
}

export const DEMO_DEFAULTS = { seed: 2026, reps: 50, deals: 2000, batchSize: 5_000 } as const;
const FINANCE = "finance@demo.example";

function heading(io: CliIo, text: string): void {
  io.stdout.write(`\n=== ${text} ===\n`);
}

/**
 * `icm demo`: a realistic organisation on a fresh in-memory PGlite (no servers). Generates the history with
 * @icm/scenario, records it in log order, previews and closes the three quarters as finance would (with an
 * override reason when exceptions are open), shows the late deal's prior-period adjustment, a few statements
 * with their breakdown and one explained line, verifies every close, and tampers with a copy of the audit
 * bundle to show the verifier naming the edited position.
 */
export async function runDemo(io: CliIo, options: DemoOptions = {}): Promise<DemoResult> {
  const seed = options.seed ?? DEMO_DEFAULTS.seed;
  const reps = options.reps ?? DEMO_DEFAULTS.reps;
  const deals = options.deals ?? DEMO_DEFAULTS.deals;
  const batchSize = options.batchSize ?? DEMO_DEFAULTS.batchSize;
  // PGlite compiles its WebAssembly while the scenario is generated.
  const opening = createPgliteEventStore();
  const scenario = generateScenario({
    seed,
    reps,
    deals,
    quarters: 3,
    startQuarter: "2026-Q1",
    lateDealCount: 3,
  });
  const { summary, events } = scenario;
  heading(io, "The organisation");
  io.stdout.write(
    `${summary.org.reps.length} reps (${summary.org.newHires.length} hired mid-way) under ${summary.org.managers.length} managers, ${summary.org.directors.length} directors and VP ${summary.org.vp}\n` +
      `${summary.planVersions.length} plan versions: ${summary.planVersions.map((p) => `${p.planId} v${p.version}`).join(", ")}\n` +
      `${summary.deals} deals over ${summary.periods.join(", ")} in ${Object.keys(summary.countsByType).length} event types; ` +
      `${summary.cancellations.insideWindow + summary.cancellations.outsideWindow} cancellations, ${summary.payments} payments, ${summary.countsByType.AdjustmentRecorded ?? 0} adjustments, ${summary.countsByType.FxRatePublished ?? 0} FX rates\n` +
      `${events.length} events in all (seed ${seed}); ${summary.lateDeals.length} deal(s) arrive after their quarter closed\n`,
  );

  const store = await opening;
  const closes: { period: string; position: number; overridden: boolean; statements: number }[] = [];
  const verifications: VerifyReport[] = [];
  try {
    const ws = await IcmWorkspace.open({ store });
    const bar = progress(io);
    let recorded = 0;
    const recordUpTo = async (end: number, label: string) => {
      bar.start(end - recorded, label);
      const from = recorded;
      while (recorded < end) {
        const next = Math.min(end, recorded + batchSize);
        await ws.record(events.slice(recorded, next) as DomainEvent[]);
        recorded = next;
        bar.update(recorded - from);
      }
      bar.stop();
    };

    for (const quarter of summary.quarterCloses) {
      heading(io, `Quarter ${quarter.period}: payout run`);
      await recordUpTo(quarter.eventIndex, `recording up to the ${quarter.period} close`);
      io.stdout.write(`Recorded ${recorded} events (log position ${ws.lastPosition}).\n`);
      if (quarter === summary.quarterCloses[1]) {
        // A partner-sourced deal naming a rep nobody onboarded: well-formed, recorded, but unusable until
        // fixed, so it is an open exception that blocks the close.
        const partner = partnerDeal(quarter.period);
        await ws.record([partner]);
        io.stdout.write(
          `Also recorded ${partner.eventId}: a partner deal crediting a rep the HR system does not know.\n`,
        );
      }
      const run = ws.preview(quarter.period);
      io.stdout.write(previewText(run, 8));
      let override: { reason: string } | undefined;
      if (run.exceptions.length > 0) {
        const refused = await ws.close(quarter.period, { actor: FINANCE }).catch((e: unknown) => e);
        if (refused instanceof CloseRefusedError) io.stdout.write(`Close refused: ${refused.message}.\n`);
        override = {
          reason: `Reviewed ${run.exceptions.length} exception(s) with sales ops on ${quarter.closeDate}: they do not change ${quarter.period} payouts and are tracked for next period`,
        };
        io.stdout.write(`Finance closes over them with a recorded reason: "${override.reason}".\n`);
      }
      const result = await ws.close(quarter.period, {
        actor: FINANCE,
        at: `${quarter.closeDate}T17:00:00Z`,
        ...(override === undefined ? {} : { override }),
      });
      io.stdout.write(closeText(result));
      closes.push({
        period: quarter.period,
        position: result.position,
        overridden: result.close.override !== undefined,
        statements: result.close.statements.length,
      });
    }
    await recordUpTo(events.length, "recording the rest of the history");
    io.stdout.write(
      `\nRecorded the remaining history: ${recorded} events, log position ${ws.lastPosition}.\n`,
    );

    // Late deals: recorded after their quarter closed → prior-period adjustments in the next open period.
    let lateDeal: DemoResult["lateDeal"];
    const found = summary.lateDeals
      .map((late) => ({ late, adjustments: lateAdjustments(ws, events, late) }))
      .sort((a, b) => b.adjustments.length - a.adjustments.length)[0];
    if (found !== undefined) {
      const { late, adjustments } = found;
      heading(
        io,
        `A late deal: ${late.dealId} closed in ${late.period}, recorded after that quarter was closed`,
      );
      io.stdout.write(
        adjustments.length === 0
          ? "No statement changed (the deal's reps earn nothing more on it, e.g. capped).\n"
          : table(
              ["rep", "paid in", "prior-period adjustment", "entry"],
              adjustments.map((a) => [a.repId, a.period, a.amount, a.entryId]),
              ["left", "left", "right", "left"],
            ),
      );
      const first = adjustments[0];
      if (first !== undefined) {
        const closedDigest = ws
          .closeOf(late.period)
          ?.close.statements.find((s) => s.repId === first.repId)?.digest;
        const nowDigest = ws.preview(late.period).statements.find((s) => s.repId === first.repId)?.digest;
        io.stdout.write(
          `The closed ${late.period} statement of ${first.repId} did not change: its digest ${nowDigest === closedDigest ? "still equals" : "DIFFERS FROM"} the one the close recorded.\n\n`,
        );
        io.stdout.write(statementText(ws.statement(first.repId, first.period)));
        io.stdout.write(explainText(ws.explain(first.repId, first.period, first.entryId)));
      }
      lateDeal = { dealId: late.dealId, period: late.period, adjustments };
    }

    heading(io, "Statements with their breakdown");
    const lastQuarter = summary.periods[summary.periods.length - 1] ?? "2026-Q3";
    const firstMonth = `${lastQuarter.slice(0, 4)}-${String((Number(lastQuarter.slice(-1)) - 1) * 3 + 1).padStart(2, "0")}`;
    const shown = new Set<string>();
    const pick = (predicate: (repId: string) => boolean) =>
      ws.reps().find((r) => !shown.has(r) && predicate(r));
    const rich = pick((r) => ws.statement(r, firstMonth).entries.length >= 3) ?? pick(() => true);
    const manager = summary.org.managers[0];
    for (const repId of [rich, manager].filter((r): r is string => r !== undefined)) {
      shown.add(repId);
      const period = ws.engineView.payoutPeriodsOf(repId).includes(lastQuarter) ? lastQuarter : firstMonth;
      io.stdout.write(statementText(ws.statement(repId, period)));
    }
    if (rich !== undefined) {
      const entries = ws.statement(rich, firstMonth).entries;
      const line =
        entries.find((e) => e.kind === "earning" && e.dealId !== undefined && e.trace.band !== undefined) ??
        entries.find((e) => e.dealId !== undefined);
      if (line !== undefined) {
        heading(io, `Why is this line what it is? (icm explain ${rich} ${firstMonth} ${line.id})`);
        io.stdout.write(explainText(ws.explain(rich, firstMonth, line.id)));
      }
    }

    heading(io, "Audit: replay every close in a fresh engine");
    for (const c of closes) {
      const report = await ws.verify(c.period);
      verifications.push(report);
      io.stdout.write(verifyText(report));
    }

    let tamper: DemoResult["tamper"];
    if (options.skipTamper !== true && closes[0] !== undefined) {
      heading(io, `Tamper check: edit one deal in a copy of the ${closes[0].period} audit bundle`);
      const dir = await mkdtemp(join(tmpdir(), "icm-demo-"));
      try {
        const path = join(dir, "bundle.jsonl");
        await ws.exportBundle(closes[0].period, path);
        const lines = (await readFile(path, "utf8")).split("\n");
        const index = lines.findIndex((l) => l.includes('"type":"DealClosed"'));
        const original = JSON.parse(lines[index] ?? "{}") as {
          globalPosition: number;
          data: { amount: string };
        };
        const edited = JSON.parse(lines[index] ?? "{}") as { data: { amount: string } };
        edited.data.amount = new Decimal(original.data.amount).times(2).toFixed(2);
        lines[index] = JSON.stringify(edited);
        await writeFile(path, lines.join("\n"));
        io.stdout.write(
          `Doubled the amount of the deal at log position ${original.globalPosition} (${original.data.amount} → ${edited.data.amount}).\n`,
        );
        const report = await IcmWorkspace.verifyBundle(path);
        io.stdout.write(verifyText(report));
        tamper = { position: original.globalPosition, report };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }

    heading(io, "Summary");
    io.stdout.write(
      table(
        ["period", "close at", "statements", "override", "verification"],
        closes.map((c, i) => [
          c.period,
          c.position,
          c.statements,
          c.overridden ? "yes" : "no",
          verifications[i]?.status ?? "-",
        ]),
      ),
    );
    io.stdout.write(
      `${events.length} events, ${summary.org.reps.length} reps; late deal ${lateDeal ? `${lateDeal.dealId}: ${lateDeal.adjustments.length} prior-period adjustment(s)` : "none"}; tamper check: ${tamper ? `${tamper.report.status} at position ${tamper.report.brokenAt ?? "?"}` : "skipped"}\n`,
    );
    return {
      events: events.length,
      reps: summary.org.reps.length,
      closes,
      verifications,
      ...(lateDeal === undefined ? {} : { lateDeal }),
      ...(tamper === undefined ? {} : { tamper }),
    };
  } finally {
    await store.close();
  }
}

export interface LateAdjustment {
  readonly repId: string;
  readonly period: string;
  readonly amount: string;
  readonly entryId: string;
}

/**
 * The prior-period adjustments a late deal caused: for each credited rep, the first statement after the
 * deal's quarter (the next quarter's months, then the quarter itself for quarterly payouts) with a
 * prior-period adjustment traced to the deal's event.
 */
function lateAdjustments(
  ws: IcmWorkspace,
  events: readonly DomainEvent[],
  late: { dealId: string; eventId: string; period: string },
): LateAdjustment[] {
  const event = events.find((e) => e.eventId === late.eventId);
  if (event?.type !== "DealClosed") return [];
  const next = nextQuarter(late.period);
  const year = next.slice(0, 4);
  const firstMonth = (Number(next.slice(-1)) - 1) * 3 + 1;
  const candidates = [0, 1, 2].map((i) => `${year}-${String(firstMonth + i).padStart(2, "0")}`).concat(next);
  const out: LateAdjustment[] = [];
  for (const repId of [...new Set(event.data.splits.map((s) => s.repId))].sort()) {
    for (const period of candidates) {
      const s = ws.statement(repId, period);
      const entry = s.entries.find(
        (e) => e.kind === "prior_period_adjustment" && e.trace.sourceEventIds.includes(late.eventId),
      );
      if (entry === undefined) continue;
      out.push({ repId, period, amount: `${money(entry.amount, s.scale)} ${s.currency}`, entryId: entry.id });
      break;
    }
  }
  return out;
}

/** A deal in the quarter's last month whose only split names an unknown rep (an exception, DOMAIN.md §2). */
function partnerDeal(quarter: string): DomainEvent {
  const month = String(Number(quarter.slice(-1)) * 3).padStart(2, "0");
  return makeEvent(
    "DealClosed",
    "partner-deal-PX-1",
    {
      dealId: "PX-1",
      amount: "12500.00",
      currency: "USD",
      closeDate: `${quarter.slice(0, 4)}-${month}-20`,
      product: "platform",
      dealType: "new",
      splits: [{ repId: "partner-rep-77", share: "1" }],
    },
    { source: "partner-portal" },
  ) as DomainEvent;
}

function nextQuarter(period: string): string {
  const year = Number(period.slice(0, 4));
  const q = Number(period.slice(-1));
  return q === 4 ? `${year + 1}-Q1` : `${year}-Q${q + 1}`;
}

import { Engine } from "@icm/engine";
import { Decimal } from "@icm/events";
import { toEngineInputs } from "@icm/workflows";
import { datasetRef, openStore } from "../generate/dataset.js";
import { ensureDataset } from "../generate/ensure.js";
import { peakRssMiB, timed } from "../harness/measure.js";
import type { BenchOptions } from "../harness/options.js";
import { readPages } from "../replay/read.js";
import { marginalCommissionSql } from "./query.js";

/** Timed runs of the SQL (the first also warms PostgreSQL's cache); the best is reported. */
const SQL_RUNS = 3;

/** First and last day of a fiscal quarter of a January fiscal year (the scenario's calendar). */
export function quarterBounds(quarter: string): { first: string; last: string; months: string[] } {
  const match = /^(\d{4})-Q([1-4])$/.exec(quarter);
  if (match === null) throw new RangeError(`not a quarter id: ${quarter}`);
  const year = Number(match[1]);
  const q = Number(match[2]);
  const months = [0, 1, 2].map((i) => `${year}-${String((q - 1) * 3 + 1 + i).padStart(2, "0")}`);
  const lastMonth = (q - 1) * 3 + 3;
  const lastDay = new Date(Date.UTC(year, lastMonth, 0)).getUTCDate();
  return { first: `${months[0]}-01`, last: `${months[2]}-${String(lastDay).padStart(2, "0")}`, months };
}

/**
 * The same marginal-tier commissions two ways, in one run over the same PostgreSQL events: one hand-written
 * SQL statement, and the engine (read every event, apply, and build the statements of the quarter's payout
 * periods for the reps the SQL priced). Prints our time over its time, and how many reps agree to the cent
 * (the engine also applies clawbacks, caps and proration, which the SQL ignores).
 */
export async function baseline(o: BenchOptions): Promise<Record<string, unknown>> {
  const ref = datasetRef(o, "postgres");
  await ensureDataset(ref, o);
  const quarter = o.startQuarter;
  const { first, last, months } = quarterBounds(quarter);
  const store = await openStore(ref, o, 2);
  try {
    const sql = marginalCommissionSql(ref.schema);
    const sqlTimes: number[] = [];
    let rows: { rep_id: string; commission: string }[] = [];
    for (let run = 0; run < SQL_RUNS; run += 1) {
      const t = await timed(() =>
        store.executor.query<{ rep_id: string; commission: string }>(sql, [quarter, first, last]),
      );
      sqlTimes.push(t.ms);
      rows = t.value;
    }
    const sqlMs = Math.min(...sqlTimes);

    const periods = new Set([...months, quarter]);
    const ours = await timed(async () => {
      const engine = new Engine();
      await readPages(store, undefined, (page) => {
        const { inputs, error } = toEngineInputs(page);
        for (const input of inputs) engine.apply(input);
        if (error !== undefined) throw error;
      });
      const commission = new Map<string, Decimal>();
      for (const { rep_id: repId } of rows) {
        let total = new Decimal(0);
        for (const period of engine.payoutPeriodsOf(repId)) {
          if (!periods.has(period)) continue;
          for (const e of engine.statement(repId, period).entries)
            if (e.kind === "earning" && e.quotaPeriod === quarter && e.trace.component === "commission")
              total = total.plus(e.amount);
        }
        commission.set(repId, total);
      }
      return commission;
    });
    const agreeing = rows.filter(
      (r) => ours.value.get(r.rep_id)?.equals(new Decimal(r.commission)) === true,
    ).length;
    const sqlTotal = rows.reduce((sum, r) => sum.plus(new Decimal(r.commission)), new Decimal(0));
    const ourTotal = [...ours.value.values()].reduce((sum, d) => sum.plus(d), new Decimal(0));
    return {
      quarter,
      repsPriced: rows.length,
      sqlMs,
      sqlRunsMs: sqlTimes,
      engineMs: ours.ms,
      ourTimeOverItsTime: Math.round((ours.ms / sqlMs) * 10) / 10,
      repsAgreeingToTheCent: agreeing,
      totalCommissionSql: sqlTotal.toFixed(2),
      totalCommissionEngine: ourTotal.toFixed(2),
      peakRssMiB: peakRssMiB(),
    };
  } finally {
    await store.close();
  }
}

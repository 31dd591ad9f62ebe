import { performance } from "node:perf_hooks";
import { IcmWorkspace } from "@icm/workflows";
import { datasetRef, openStore } from "../generate/dataset.js";
import { ensureDataset } from "../generate/ensure.js";
import { peakRssMiB, progress } from "../harness/measure.js";
import type { BenchOptions } from "../harness/options.js";

/** Slowest statements listed by name. */
const SLOWEST_LISTED = 10;

/**
 * Where a payout run's time goes by rep: one open, then the first quarter's statement of every rep, one
 * at a time and timed, split into reps who ever had a team (managers, whose overlay lines re-credit their
 * organisation's deals) and reps who never had one. Not a payout run (no digests, no summaries): its sum is the
 * statements' own share of a preview.
 */
export async function statementsByRep(o: BenchOptions): Promise<Record<string, unknown>> {
  const ref = datasetRef(o, "postgres");
  const dataset = await ensureDataset(ref, o);
  const period = o.startQuarter;
  const store = await openStore(ref, o, 4);
  let workspace: IcmWorkspace;
  try {
    progress(`by-rep: opening the workspace over ${dataset.events} events`);
    workspace = await IcmWorkspace.open({ store });
  } finally {
    await store.close();
  }
  const timings: { repId: string; ms: number; lines: number; team: number }[] = [];
  for (const repId of workspace.reps()) {
    // Everyone who ever reported to the rep: what their overlays look through (one walk per rep, not n²).
    const team = workspace.team(repId).length;
    const start = performance.now();
    const statement = workspace.statement(repId, period);
    timings.push({ repId, ms: performance.now() - start, lines: statement.entries.length, team });
  }
  const round = (ms: number) => Math.round(ms * 10) / 10;
  const sum = (rows: readonly { ms: number }[]) => round(rows.reduce((total, r) => total + r.ms, 0));
  const managers = timings.filter((t) => t.team > 0);
  const others = timings.filter((t) => t.team === 0);
  const slowest = [...timings].sort((a, b) => b.ms - a.ms).slice(0, SLOWEST_LISTED);
  return {
    period,
    events: dataset.events,
    statements: timings.length,
    totalMs: sum(timings),
    withTeam: { reps: managers.length, ms: sum(managers) },
    withoutTeam: {
      reps: others.length,
      ms: sum(others),
      meanMs: round(sum(others) / Math.max(others.length, 1)),
    },
    slowest: slowest.map((t) => ({ ...t, ms: round(t.ms) })),
    peakRssMiB: peakRssMiB(),
  };
}

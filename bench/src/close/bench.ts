import { closeEventId, IcmWorkspace } from "@icm/workflows";
import { datasetRef, openStore } from "../generate/dataset.js";
import { ensureDataset } from "../generate/ensure.js";
import { runChildProcess } from "../harness/child.js";
import { peakRssMiB, phase, progress } from "../harness/measure.js";
import type { BenchOptions } from "../harness/options.js";

/** Store calls by method, so the output shows how often the close went round its snapshot loop. */
function countingStore<S extends object>(inner: S): { store: S; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const store = new Proxy(inner, {
    get: (target, key, receiver) => {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof key !== "string" || typeof value !== "function") return value;
      return (...args: unknown[]) => {
        calls.set(key, (calls.get(key) ?? 0) + 1);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store, calls };
}

/** Recorded as the close's `closedAt`: fixed, so two runs write the same close event. */
const CLOSED_AT = "2026-04-10T17:00:00.000Z";

/**
 * Finance's close of the first quarter over the PostgreSQL dataset: open the workspace (a full replay into
 * its engine, timed separately), preview the payout run, close, then the auditor's verify of that close
 * (fresh engine over the stored log through the close position, digests, Merkle root, hash chain), in
 * this process and again in a process of its own (`verify.alone`: as `icm verify` runs it).
 * The close event is removed afterwards so that every benchmark of the run sees the same log.
 */
export async function closeAndVerify(o: BenchOptions): Promise<Record<string, unknown>> {
  const ref = datasetRef(o, "postgres");
  const dataset = await ensureDataset(ref, o);
  const period = o.startQuarter;
  const store = await openStore(ref, o, 4);
  try {
    await removeClose(store.executor, ref.schema, period);
    progress(`close: opening the workspace over ${dataset.events} events`);
    const counted = countingStore(store);
    const open = await phase(() => IcmWorkspace.open({ store: counted.store }));
    progress(`close: opened in ${open.ms} ms; preview of ${period}`);
    const workspace = open.value;
    const rssAfterOpen = peakRssMiB();
    const preview = await phase(() => workspace.preview(period));
    const exceptions = preview.value.exceptions.length;
    progress(`close: preview in ${preview.ms} ms; closing`);
    counted.calls.clear();
    const close = await phase(() =>
      workspace.close(period, {
        actor: "bench",
        at: CLOSED_AT,
        ...(exceptions > 0
          ? { override: { reason: `benchmark: ${exceptions} open exception(s) accepted` } }
          : {}),
      }),
    );
    const rssAfterClose = peakRssMiB();
    // One round of the snapshot loop is one head() and two catch-up reads (before, and after the append).
    const closeStoreCalls = Object.fromEntries([...counted.calls.entries()].sort());
    progress(`close: closed in ${close.ms} ms; verifying`);
    const verify = await phase(() => workspace.verify(period));
    progress(`close: verified in ${verify.ms} ms; verifying again in a process of its own`);
    // As `icm verify` runs it: here the verify shared the heap (and the collector's work) with the
    // workspace's facts, which an auditor's process does not hold.
    const profiled = process.execArgv.some((flag) => flag.startsWith("--cpu-prof"));
    const [alone] = await runChildProcess("verify-alone", o, profiled);
    if (alone === undefined) throw new Error("close: the verify-alone process reported nothing");
    const { benchmark: _alone, ...aloneFigures } = alone;
    progress(`close: verified alone in ${String(aloneFigures.verifyMs)} ms`);
    const result = {
      period,
      events: dataset.events,
      statementsInRun: preview.value.statements.length,
      openExceptions: exceptions,
      openWorkspaceMs: open.ms,
      previewMs: preview.ms,
      closeMs: close.ms,
      closeStoreCalls,
      cpuMs: { open: open.cpuMs, preview: preview.cpuMs, close: close.cpuMs, verify: verify.cpuMs },
      gc: { open: open.gc, preview: preview.gc, close: close.gc, verify: verify.gc },
      previewPlusCloseMs: Math.round((preview.ms + close.ms) * 10) / 10,
      targetMs: 10_000,
      merkleRoot: close.value.close.merkleRoot,
      peakRssMiB: { afterOpen: rssAfterOpen, afterClose: rssAfterClose },
      verify: {
        period,
        verifyMs: verify.ms,
        targetMs: 20_000,
        status: verify.value.status,
        statementsVerified: verify.value.statementsChecked,
        eventsReplayed: verify.value.eventsReplayed,
        peakRssMiB: peakRssMiB(),
        cpuMs: verify.cpuMs,
        gc: verify.gc,
        alone: aloneFigures,
      },
    };
    await removeClose(store.executor, ref.schema, period);
    return result;
  } finally {
    await store.close();
  }
}

/** Takes the benchmark's close back out of the log (it is the last event, so the chain stays whole). */
async function removeClose(
  ex: { query: (sql: string, params?: readonly (string | number)[]) => Promise<unknown> },
  schema: string,
  period: string,
): Promise<void> {
  await ex.query(`DELETE FROM "${schema}"."events" WHERE event_id = $1`, [closeEventId(period)]);
  await ex.query(
    `SELECT setval('"${schema}"."events_global_position_seq"', (SELECT coalesce(max(global_position), 1) FROM "${schema}"."events"))`,
  );
}

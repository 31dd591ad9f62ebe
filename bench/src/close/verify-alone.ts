import { IcmWorkspace } from "@icm/workflows";
import { datasetRef, openStore } from "../generate/dataset.js";
import { peakRssMiB, phase } from "../harness/measure.js";
import type { BenchOptions } from "../harness/options.js";

/**
 * The auditor's verify as `icm verify` runs it: a process of its own, no workspace, the log read once into
 * a fresh engine (`IcmWorkspace.verifyStored`). The close benchmark starts it while its close is in the
 * store; in the close benchmark's own process the verify shares the heap with the open workspace's facts.
 */
export async function verifyAlone(o: BenchOptions): Promise<Record<string, unknown>> {
  const ref = datasetRef(o, "postgres");
  const period = o.startQuarter;
  const store = await openStore(ref, o, 4);
  try {
    const verify = await phase(() => IcmWorkspace.verifyStored(store, period));
    return {
      period,
      verifyMs: verify.ms,
      cpuMs: verify.cpuMs,
      gc: verify.gc,
      status: verify.value.status,
      statementsVerified: verify.value.statementsChecked,
      eventsReplayed: verify.value.eventsReplayed,
      peakRssMiB: peakRssMiB(),
    };
  } finally {
    await store.close();
  }
}

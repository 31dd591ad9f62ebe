import { IcmWorkspace } from "@icm/workflows";
import { datasetRef, openStore } from "../generate/dataset.js";
import { ensureDataset } from "../generate/ensure.js";
import { peakRssMiB, phase, progress } from "../harness/measure.js";
import type { BenchOptions } from "../harness/options.js";

/** Previews per run: the first after opening, the second over the same facts (what caches keep between them). */
const PREVIEWS = 2;

/**
 * The payout run of the first quarter, previewed twice over one opened workspace, with each preview's CPU
 * time and garbage collections: a close's statements phase on its own, without the close and the verify
 * around it, so that an A/B of a statement-side change costs one open and two previews per side.
 */
export async function previewTwice(o: BenchOptions): Promise<Record<string, unknown>> {
  const ref = datasetRef(o, "postgres");
  const dataset = await ensureDataset(ref, o);
  const period = o.startQuarter;
  const store = await openStore(ref, o, 4);
  try {
    progress(`preview: opening the workspace over ${dataset.events} events`);
    const open = await phase(() => IcmWorkspace.open({ store }));
    const workspace = open.value;
    const previews: Record<string, unknown>[] = [];
    for (let i = 0; i < PREVIEWS; i += 1) {
      const run = await phase(() => workspace.preview(period));
      progress(`preview: ${i + 1} of ${PREVIEWS} in ${run.ms} ms`);
      previews.push({
        ms: run.ms,
        cpuMs: run.cpuMs,
        gc: run.gc,
        statements: run.value.statements.length,
        firstDigest: run.value.statements[0]?.digest,
      });
    }
    return {
      period,
      events: dataset.events,
      openWorkspaceMs: open.ms,
      cpuMs: { open: open.cpuMs },
      previews,
      peakRssMiB: peakRssMiB(),
    };
  } finally {
    await store.close();
  }
}

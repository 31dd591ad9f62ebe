import type { RecordedEvent } from "../port/types.js";

/**
 * A tiny read model for the contract: per-stream totals of `data.n`, with the checkpoint stored alongside
 * (as a projector would store it in the same transaction). Events at or before the checkpoint are skipped,
 * which is what makes at-least-once delivery safe (emmett `wasMessageHandled`).
 */
export interface TotalsProjection {
  checkpoint: number;
  applied: number;
  skipped: number;
  totals: Record<string, number>;
}

export function emptyProjection(): TotalsProjection {
  return { checkpoint: 0, applied: 0, skipped: 0, totals: {} };
}

export function project(model: TotalsProjection, event: RecordedEvent): void {
  if (event.globalPosition <= model.checkpoint) {
    model.skipped += 1;
    return;
  }
  const n = typeof event.data.n === "number" ? event.data.n : 0;
  model.totals[event.streamId] = (model.totals[event.streamId] ?? 0) + n;
  model.applied += 1;
  model.checkpoint = event.globalPosition;
}

/** The model without delivery bookkeeping, for comparing two runs. */
export function readModel(model: TotalsProjection): {
  checkpoint: number;
  applied: number;
  totals: Record<string, number>;
} {
  return { checkpoint: model.checkpoint, applied: model.applied, totals: model.totals };
}

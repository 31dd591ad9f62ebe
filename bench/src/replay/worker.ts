import { parentPort, workerData } from "node:worker_threads";
import type { RecordedEvent } from "@icm/event-store";
import { type DatasetRef, openStore } from "../generate/dataset.js";
import type { BenchOptions } from "../harness/options.js";
import { readPages } from "./read.js";
import { type Partition, Rebuild } from "./rebuild.js";

export interface WorkerInput {
  readonly partition: Partition;
  readonly options: BenchOptions;
  /** Read the store itself (PostgreSQL), or receive pages from the parent (PGlite is single-process). */
  readonly source: { readonly kind: "store"; readonly ref: DatasetRef } | { readonly kind: "pages" };
}

export type WorkerMessage = { readonly page: readonly RecordedEvent[] } | { readonly end: true };

const input = workerData as WorkerInput;
const port = parentPort;
if (port === null) throw new Error("replay/worker.js runs as a worker thread");
const rebuild = new Rebuild(input.partition);

if (input.source.kind === "store") {
  const store = await openStore(input.source.ref, input.options, 2);
  await readPages(store, rebuild);
  await store.close();
  port.postMessage(rebuild.finish());
} else {
  port.on("message", (message: WorkerMessage) => {
    if ("page" in message) {
      rebuild.apply(message.page);
      port.postMessage("ack");
    } else {
      port.postMessage(rebuild.finish());
      port.close();
    }
  });
}

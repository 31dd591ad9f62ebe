import { readFile, writeFile } from "node:fs/promises";
import { type ColumnMapping, type ImportSummary, importFile, parseMapping } from "@icm/pipeline";
import { type IcmWorkspace, InvalidInputError } from "@icm/workflows";
import type { CliIo } from "./io.js";
import { progress } from "./progress.js";

export interface CliImportSummary extends ImportSummary {
  /** Where invalid records were kept verbatim (JSON Lines with the reason), when there were any. */
  readonly rejectedFile?: string;
  readonly lastPosition: number;
}

/** Events per workspace.record call: one validated batch, appended in file order. */
const IMPORT_BATCH = 1_000;

/**
 * `icm import`: reuses @icm/pipeline's streaming importer (JSONL events, or CSV rows through a column
 * mapping), with the workspace as the publisher instead of NATS: every valid record is validated again by
 * the engine and recorded in file order; invalid records are kept verbatim with their reason in
 * `<file>.rejected.jsonl` (the embedded counterpart of the dead-letter stream).
 */
export async function importEvents(
  io: CliIo,
  ws: IcmWorkspace,
  file: string,
  options: { mapping?: string; format?: string },
): Promise<CliImportSummary> {
  const format = options.format ?? (file.toLowerCase().endsWith(".csv") ? "csv" : "jsonl");
  if (format !== "csv" && format !== "jsonl")
    throw new InvalidInputError(`--format must be csv or jsonl, got ${format}`);
  if (format === "csv" && options.mapping === undefined)
    throw new InvalidInputError("a CSV import needs --mapping <file>");
  let mapping: ColumnMapping | undefined;
  if (options.mapping !== undefined) {
    try {
      mapping = parseMapping(JSON.parse(await readFile(options.mapping, "utf8")));
    } catch (error) {
      throw new InvalidInputError(`mapping ${options.mapping}: ${(error as Error).message}`);
    }
  }
  const rejected: string[] = [];
  const bar = progress(io);
  let started = false;
  let summary: ImportSummary;
  try {
    summary = await importFile({
      path: file,
      format,
      ...(mapping === undefined ? {} : { mapping }),
      batchSize: IMPORT_BATCH,
      publisher: {
        publish: async (events) => {
          const r = await ws.record(events);
          return { published: [], stored: r.recorded, duplicates: r.duplicates };
        },
      },
      deadLetters: {
        add: async (letter) => {
          rejected.push(JSON.stringify(letter));
          return { seq: rejected.length, duplicate: false };
        },
      },
      now: io.now,
      onProgress: (p) => {
        if (!started) {
          bar.start(p.totalBytes, "importing");
          started = true;
        }
        bar.update(p.bytesRead);
      },
    });
  } finally {
    if (started) bar.stop();
  }
  const rejectedFile = rejected.length > 0 ? `${file}.rejected.jsonl` : undefined;
  if (rejectedFile !== undefined) await writeFile(rejectedFile, `${rejected.join("\n")}\n`);
  return {
    ...summary,
    ...(rejectedFile === undefined ? {} : { rejectedFile }),
    lastPosition: ws.lastPosition,
  };
}

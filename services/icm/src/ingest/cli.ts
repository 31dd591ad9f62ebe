import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import {
  type ColumnMapping,
  connectPipeline,
  DEAD_LETTER_SOURCES,
  type DeadLetterSource,
  type ImportFormat,
  type ImportSummary,
  importFile,
  loadConfig,
  type PipelineConfig,
  type PipelineConnection,
  parseMapping,
} from "@icm/pipeline";
import { Presets, SingleBar } from "cli-progress";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";

/** Exit codes: 0 everything imported/replayed, 2 some records still invalid (dead-lettered), 1 failure. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_SOME_INVALID = 2;

export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
}

function positiveInteger(max: number) {
  return (text: string): number => {
    if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max) {
      throw new InvalidArgumentError(`must be a whole number from 1 to ${max}`);
    }
    return Number(text);
  };
}

async function withPipeline<T>(
  config: PipelineConfig,
  name: string,
  work: (p: PipelineConnection) => Promise<T>,
): Promise<T> {
  const pipeline = await connectPipeline({
    natsUrl: config.natsUrl,
    topology: config.topology,
    name,
    publish: config.publish,
  });
  try {
    return await work(pipeline);
  } finally {
    await pipeline.close();
  }
}

function printSummary(io: CliIo, file: string, summary: ImportSummary): void {
  const out = io.stdout;
  out.write(
    `${file}: ${summary.lines} records, ${summary.published} published, ${summary.duplicates} already present, ${summary.invalidCount} invalid\n`,
  );
  for (const bad of summary.invalid) {
    const issues = bad.issues.map((i) => `${i.path}: ${i.rule}`).join("; ");
    out.write(`  line ${bad.line}${bad.eventId ? ` (${bad.eventId})` : ""}: ${issues}\n`);
  }
  if (summary.invalidCount > summary.invalid.length) {
    out.write(
      `  ... and ${summary.invalidCount - summary.invalid.length} more (see icm-dead-letters list --source import)\n`,
    );
  }
  if (summary.invalidCount > 0)
    out.write(
      "Invalid records were kept in the dead-letter store; fix and replay them with icm-dead-letters replay.\n",
    );
}

/**
 * `icm import <file> --mapping m.json --format csv` (the icm-import command) and
 * `icm dead-letters list|replay` (icm-dead-letters). Returns the process exit code; never calls exit.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode = EXIT_OK;
  const program = new Command("icm")
    .description("Incentive compensation engine: event import and dead letters")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });

  program
    .command("import")
    .description(
      "import a CRM export (CSV with a column mapping, or JSONL events / rows) into the event stream",
    )
    .argument("<file>", "the file to import")
    .addOption(new Option("--format <format>", "file format").choices(["csv", "jsonl"]).makeOptionMandatory())
    .option("--mapping <file>", "JSON column mapping (required for CSV)")
    .option("--batch-size <n>", "events published per acknowledged batch", positiveInteger(10_000))
    .option("--no-progress", "no progress bar on stderr")
    .action(
      async (
        file: string,
        options: { format: ImportFormat; mapping?: string; batchSize?: number; progress: boolean },
      ) => {
        const config = loadConfig(io.env);
        if (options.format === "csv" && !options.mapping)
          throw new InvalidArgumentError("--mapping is required for CSV");
        let mapping: ColumnMapping | undefined;
        if (options.mapping) mapping = parseMapping(JSON.parse(await readFile(options.mapping, "utf8")));
        const bar = options.progress
          ? new SingleBar(
              {
                stream: io.stderr,
                format:
                  "importing |{bar}| {percentage}% | {lines} records | {published} published | {invalid} invalid",
                hideCursor: false,
              },
              Presets.shades_classic,
            )
          : undefined;
        const correlationId = `import-${randomUUID()}`;
        const summary = await withPipeline(config, "icm-import", async (pipeline) => {
          let started = false;
          try {
            return await importFile({
              path: file,
              format: options.format,
              ...(mapping ? { mapping } : {}),
              publisher: pipeline.publisher,
              deadLetters: pipeline.deadLetters,
              batchSize: options.batchSize ?? config.import.batchSize,
              correlationId,
              onProgress: (p) => {
                if (!bar) return;
                const payload = { lines: p.lines, published: p.published + p.duplicates, invalid: p.invalid };
                if (!started) {
                  bar.start(Math.max(p.totalBytes, 1), 0, payload);
                  started = true;
                }
                bar.update(Math.min(p.bytesRead, p.totalBytes), payload);
              },
            });
          } finally {
            if (started) bar?.stop();
          }
        });
        printSummary(io, file, summary);
        io.stdout.write(`correlation id: ${correlationId}\n`);
        exitCode = summary.invalidCount > 0 ? EXIT_SOME_INVALID : EXIT_OK;
      },
    );

  const deadLetters = program.command("dead-letters").description("inspect and replay refused input");
  const sourceOption = () =>
    new Option("--source <source>", "only letters from this source").choices([...DEAD_LETTER_SOURCES]);

  deadLetters
    .command("list")
    .description("list pending dead letters, oldest first, one JSON object per line")
    .addOption(sourceOption())
    .option("--limit <n>", "at most this many", positiveInteger(10_000), 100)
    .option("--after <seq>", "start after this sequence", positiveInteger(Number.MAX_SAFE_INTEGER))
    .action(async (options: { source?: DeadLetterSource; limit: number; after?: number }) => {
      const config = loadConfig(io.env);
      const letters = await withPipeline(config, "icm-dead-letters", (pipeline) =>
        pipeline.deadLetters.list({
          limit: options.limit,
          ...(options.source ? { source: options.source } : {}),
          ...(options.after ? { afterSeq: options.after } : {}),
        }),
      );
      for (const letter of letters) io.stdout.write(`${JSON.stringify(letter)}\n`);
      io.stderr.write(`${letters.length} pending dead letter(s)\n`);
    });

  deadLetters
    .command("replay")
    .description("re-validate letters (one sequence, or all) and publish the ones that are valid now")
    .argument("<target>", 'a sequence from "list", or "all"')
    .addOption(sourceOption())
    .option("--limit <n>", "with all: at most this many letters", positiveInteger(10_000), 1_000)
    .option("--dry-run", "validate only; publish and acknowledge nothing", false)
    .action(
      async (target: string, options: { source?: DeadLetterSource; limit: number; dryRun: boolean }) => {
        const config = loadConfig(io.env);
        const which = target === "all" ? ("all" as const) : positiveInteger(Number.MAX_SAFE_INTEGER)(target);
        const report = await withPipeline(config, "icm-dead-letters", (pipeline) =>
          pipeline.deadLetters.replay(which, {
            republish: pipeline.publisher,
            limit: options.limit,
            dryRun: options.dryRun,
            ...(options.source ? { source: options.source } : {}),
          }),
        );
        const verb = options.dryRun ? "would replay" : "replayed";
        for (const r of report.replayed)
          io.stdout.write(
            `${verb} #${r.letterSeq} as ${r.eventId}${r.duplicate ? " (already present)" : ""}\n`,
          );
        for (const s of report.stillInvalid) {
          io.stdout.write(
            `still invalid #${s.seq}: ${s.issues.map((i) => `${i.path}: ${i.rule}`).join("; ")}\n`,
          );
        }
        for (const seq of report.missing) io.stdout.write(`no pending dead letter #${seq}\n`);
        io.stdout.write(
          `${report.replayed.length} ${verb}, ${report.stillInvalid.length} still invalid, ${report.missing.length} not found\n`,
        );
        exitCode = report.stillInvalid.length > 0 || report.missing.length > 0 ? EXIT_SOME_INVALID : EXIT_OK;
      },
    );

  try {
    await program.parseAsync(["node", "icm", ...argv]);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return error.exitCode === 0 ? EXIT_OK : EXIT_FAILURE;
    }
    io.stderr.write(`error: ${(error as Error).message}\n`);
    return EXIT_FAILURE;
  }
}

/** `icm-import ...` is `icm import ...`; `icm-dead-letters ...` is `icm dead-letters ...`. */
export function argvFor(scriptName: string, args: readonly string[]): string[] {
  if (/icm-import(\.[cm]?js)?$/.test(scriptName)) return ["import", ...args];
  if (/icm-dead-letters(\.[cm]?js)?$/.test(scriptName)) return ["dead-letters", ...args];
  return [...args];
}

const invokedPath = process.argv[1];
if (invokedPath !== undefined && import.meta.url === pathToFileURL(invokedPath).href) {
  const code = await runCli(argvFor(invokedPath, process.argv.slice(2)), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  });
  process.exitCode = code;
}

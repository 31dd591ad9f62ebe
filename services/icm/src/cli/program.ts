import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { encodeProof, verifyInclusion } from "@icm/audit";
import {
  type EventStore,
  isIdempotencyConflict,
  isInvalidAppend,
  isPartialDuplicateAppend,
} from "@icm/event-store";
import { EventValidationError, minorUnits } from "@icm/events";
import {
  CloseRefusedError,
  DEFAULT_STORE_SPEC,
  IcmWorkspace,
  InvalidInputError,
  money,
  NotFoundError,
  openStore,
  type VerifyReport,
} from "@icm/workflows";
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { DEMO_DEFAULTS, runDemo } from "./demo.js";
import {
  EXIT_FAILURE,
  EXIT_INVALID_INPUT,
  EXIT_OK,
  EXIT_REFUSED,
  EXIT_VERIFICATION_FAILED,
} from "./exit-codes.js";
import { importEvents } from "./import.js";
import type { CliIo } from "./io.js";
import {
  closeText,
  diffText,
  exceptionsTable,
  explainText,
  previewText,
  statementText,
  table,
  truncate,
  verifyText,
} from "./render.js";

interface GlobalOptions {
  readonly store: string;
  readonly json: boolean;
}

/** Exit code chosen by a command that finished without throwing (e.g. verification failed → 4). */
class Outcome {
  code = EXIT_OK;
}

function wholeNumber(name: string) {
  return (text: string): number => {
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)))
      throw new InvalidArgumentError(`${name} must be a whole number`);
    return Number(text);
  };
}

/** Writes JSON for machines: Decimals serialise as strings (their toJSON), one document per command. */
function json(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

async function withStore<T>(options: GlobalOptions, work: (store: EventStore) => Promise<T> | T): Promise<T> {
  if (options.store.startsWith("pglite:") && options.store.length > "pglite:".length) {
    await mkdir(options.store.slice("pglite:".length), { recursive: true });
  }
  const store = await openStore(options.store);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

function withWorkspace<T>(options: GlobalOptions, work: (ws: IcmWorkspace) => Promise<T> | T): Promise<T> {
  return withStore(options, async (store) => work(await IcmWorkspace.open({ store })));
}

/** Maps a thrown error to the documented exit code and prints it (as JSON with --json). */
function failure(io: CliIo, error: unknown, asJson: boolean): number {
  let code = EXIT_FAILURE;
  let kind = "unexpected_failure";
  let extra: Record<string, unknown> = {};
  if (error instanceof CloseRefusedError) {
    code = EXIT_REFUSED;
    kind = error.code;
    extra = { period: error.period, exceptions: error.exceptions };
  } else if (error instanceof InvalidInputError) {
    code = EXIT_INVALID_INPUT;
    kind = error.code;
    extra = { issues: error.issues };
  } else if (error instanceof NotFoundError) {
    code = EXIT_INVALID_INPUT;
    kind = error.code;
  } else if (error instanceof EventValidationError) {
    code = EXIT_INVALID_INPUT;
    kind = "invalid_event";
    extra = { issues: error.issues };
  } else if (isIdempotencyConflict(error) || isPartialDuplicateAppend(error) || isInvalidAppend(error)) {
    code = EXIT_INVALID_INPUT;
    kind = "append_rejected";
  } else if (error instanceof InvalidArgumentError) {
    code = EXIT_INVALID_INPUT;
    kind = "invalid_argument";
  }
  const message = error instanceof Error ? error.message : String(error);
  if (asJson) json(io, { error: kind, message, ...extra });
  else {
    io.stderr.write(`icm: ${message}\n`);
    if (error instanceof CloseRefusedError) io.stderr.write(exceptionsTable(error.exceptions));
    if (code === EXIT_FAILURE && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
  }
  return code;
}

function verification(io: CliIo, outcome: Outcome, report: VerifyReport, asJson: boolean): void {
  if (asJson) json(io, report);
  else io.stdout.write(verifyText(report));
  if (report.status !== "reproduced") outcome.code = EXIT_VERIFICATION_FAILED;
}

/**
 * Builds the `icm` program. Every action reads the global options, opens the store named by --store,
 * works through an IcmWorkspace and closes the store again.
 */
export function buildProgram(io: CliIo, outcome: Outcome): Command {
  const program = new Command("icm")
    .description("Event-sourced incentive compensation: payout runs, statements and audit replay")
    .option(
      "--store <spec>",
      "event store: pglite[:dir] | memory | postgres://...[?schema=name]",
      DEFAULT_STORE_SPEC,
    )
    .option("--json", "machine-readable JSON output", false)
    .exitOverride()
    .showHelpAfterError("(icm --help lists the commands)")
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  const g = (): GlobalOptions => program.opts<GlobalOptions>();

  program
    .command("import")
    .description("validate and record events from a JSONL file of events, or a CSV export with --mapping")
    .argument("<file>", "a .jsonl file of events, or a .csv file with --mapping")
    .option("--mapping <file>", "JSON column mapping for a CSV file (see @icm/pipeline)")
    .option("--format <format>", "jsonl or csv (default: from the file extension)")
    .action(async (file: string, options: { mapping?: string; format?: string }) => {
      const summary = await withWorkspace(g(), (ws) => importEvents(io, ws, file, options));
      if (g().json) json(io, summary);
      else {
        io.stdout.write(
          `${file}: ${summary.lines} records, ${summary.published} recorded, ${summary.duplicates} already present, ${summary.invalidCount} invalid\n`,
        );
        for (const bad of summary.invalid.slice(0, 20))
          io.stdout.write(
            `  line ${bad.line}: ${bad.issues.map((i) => `${i.path}: ${i.rule}`).join("; ")}\n`,
          );
        if (summary.rejectedFile)
          io.stdout.write(`Invalid records kept verbatim in ${summary.rejectedFile}\n`);
        io.stdout.write(`Log position now ${summary.lastPosition}.\n`);
      }
      if (summary.invalidCount > 0) outcome.code = EXIT_INVALID_INPUT;
    });

  program
    .command("preview")
    .description("draft payout run of a period: statements, totals per currency, open exceptions")
    .argument("<period>", 'payout period, e.g. "2026-Q1" or "2026-03"')
    .option("--limit <n>", "statements shown in the table", wholeNumber("--limit"), 50)
    .action(async (period: string, options: { limit: number }) => {
      const run = await withWorkspace(g(), (ws) => ws.preview(period));
      if (g().json) json(io, run);
      else io.stdout.write(previewText(run, options.limit));
    });

  program
    .command("close")
    .description(
      "close a period: refused (exit 3) while exceptions are open unless --override gives a reason",
    )
    .argument("<period>")
    .option("--override <reason>", "close despite open exceptions; the reason is recorded in the close")
    .option("--actor <who>", "who closes (recorded)", process.env.USER ? `${process.env.USER}` : "finance")
    .action(async (period: string, options: { override?: string; actor: string }) => {
      const result = await withWorkspace(g(), (ws) =>
        ws.close(period, {
          actor: options.actor,
          at: io.now().toISOString(),
          ...(options.override === undefined ? {} : { override: { reason: options.override } }),
        }),
      );
      if (g().json) json(io, result);
      else io.stdout.write(closeText(result));
    });

  const printStatement = async (rep: string, period: string, asOfText: string | undefined) => {
    const asOf =
      asOfText === undefined
        ? {}
        : /^\d+$/.test(asOfText)
          ? { position: Number(asOfText) }
          : { time: asOfText };
    const s = await withWorkspace(g(), (ws) => ws.statement(rep, period, asOf));
    if (g().json) json(io, s);
    else io.stdout.write(statementText(s));
  };

  program
    .command("statement")
    .description("a rep's statement with every line's breakdown; --as-of a log position or an ISO time")
    .argument("<rep>")
    .argument("<period>")
    .option("--as-of <position|time>", "what the statement said at a past log position or time")
    .action(async (rep: string, period: string, options: { asOf?: string }) => {
      await printStatement(rep, period, options.asOf);
    });

  program
    .command("as-of")
    .description("what a rep's statement said at a past log position or ISO time (same as statement --as-of)")
    .argument("<rep>")
    .argument("<period>")
    .argument("<position|time>")
    .action(async (rep: string, period: string, asOf: string) => {
      await printStatement(rep, period, asOf);
    });

  program
    .command("explain")
    .description("one statement line with its full trace (entry ids come from `statement --json`)")
    .argument("<rep>")
    .argument("<period>")
    .argument("<entryId>")
    .action(async (rep: string, period: string, entryId: string) => {
      const x = await withWorkspace(g(), (ws) => ws.explain(rep, period, entryId));
      if (g().json) json(io, x);
      else io.stdout.write(explainText(x));
    });

  program
    .command("diff")
    .description("what changed on a statement between two log positions, and the events behind it")
    .argument("<rep>")
    .argument("<period>")
    .requiredOption("--from <position>", "earlier log position", wholeNumber("--from"))
    .requiredOption("--to <position>", "later log position", wholeNumber("--to"))
    .action(async (rep: string, period: string, options: { from: number; to: number }) => {
      const d = await withWorkspace(g(), (ws) => ws.diff(rep, period, options.from, options.to));
      if (g().json) json(io, d);
      else io.stdout.write(diffText(d));
    });

  program
    .command("what-if")
    .description("what a hypothetical deal would pay the rep (same engine, nothing recorded)")
    .argument("<rep>")
    .requiredOption("--amount <amount>", 'deal amount, a decimal string such as "25000.00"')
    .requiredOption("--currency <code>", "ISO 4217 currency")
    .requiredOption("--date <date>", "close date, YYYY-MM-DD")
    .option("--product <product>", "product", "platform")
    .option("--type <dealType>", "deal type", "new")
    .option("--share <share>", "the rep's share of the deal", "1")
    .action(
      async (
        rep: string,
        o: { amount: string; currency: string; date: string; product: string; type: string; share: string },
      ) => {
        const result = await withWorkspace(g(), (ws) =>
          ws.whatIf(rep, {
            amount: o.amount,
            currency: o.currency,
            closeDate: o.date,
            product: o.product,
            dealType: o.type,
            share: o.share,
          }),
        );
        if (g().json) json(io, result);
        else {
          io.stdout.write(
            `A ${o.currency} ${o.amount} ${o.product} deal closed ${o.date} (share ${o.share}) would change ${rep}'s payable by ${money(result.payableDelta, minorUnits(result.entries[0]?.currency ?? o.currency))} in ${result.periods.join(", ") || "no period"}.\n`,
          );
          io.stdout.write(
            table(
              ["period", "kind", "amount", "why"],
              result.entries.map((e) => [
                e.period,
                e.kind,
                money(e.amount, minorUnits(e.currency)),
                truncate(e.trace.explanation, 60),
              ]),
              ["left", "left", "right"],
            ),
          );
          io.stdout.write("Nothing was recorded.\n");
        }
      },
    );

  program
    .command("team")
    .description("the reps reporting to a manager through the hierarchy (on --date, else ever)")
    .argument("<manager>")
    .option("--date <date>", "the hierarchy as effective on this date, YYYY-MM-DD")
    .action(async (manager: string, options: { date?: string }) => {
      const team = await withWorkspace(g(), (ws) => ws.team(manager, options.date));
      if (g().json) json(io, { manager, ...(options.date ? { date: options.date } : {}), team });
      else io.stdout.write(team.length === 0 ? `${manager} has no reports.\n` : `${team.join("\n")}\n`);
    });

  program
    .command("verify")
    .description("replay the log up to a close in a fresh engine; exit 4 unless it reproduces")
    .argument("<period>")
    .action(async (period: string) => {
      // No workspace: verify replays the log once, in its own fresh engine (IcmWorkspace.verifyStored).
      const report = await withStore(g(), (store) => IcmWorkspace.verifyStored(store, period));
      verification(io, outcome, report, g().json);
    });

  program
    .command("proof")
    .description("Merkle inclusion proof of a rep's statement in a close (checkable offline)")
    .argument("<period>")
    .argument("<rep>")
    .option("--out <file>", "write the proof (canonical JSON) to a file")
    .action(async (period: string, rep: string, options: { out?: string }) => {
      const proof = await withStore(g(), (store) => IcmWorkspace.proofStored(store, period, rep));
      const verified = verifyInclusion(proof);
      if (options.out) await writeFile(options.out, `${encodeProof(proof)}\n`);
      if (g().json) json(io, { proof, verified });
      else {
        io.stdout.write(`${encodeProof(proof)}\n`);
        io.stdout.write(
          `Leaf ${proof.leafIndex + 1} of ${proof.leafCount}, ${proof.siblings.length} sibling hash(es), root ${proof.root}: ${verified ? "verifies" : "DOES NOT VERIFY"}.\n`,
        );
      }
      if (!verified) outcome.code = EXIT_VERIFICATION_FAILED;
    });

  program
    .command("export")
    .description("payroll CSV of a period: rep, currency, payable, one column per entry kind, totals")
    .argument("<period>")
    .option("--out <file>", "write to a file instead of stdout")
    .action(async (period: string, options: { out?: string }) => {
      const csv = await withWorkspace(g(), (ws) => {
        if (ws.closeOf(period) === undefined)
          io.stderr.write(`icm: ${period} is not closed: this is a DRAFT payroll file\n`);
        return ws.payrollCsv(period);
      });
      if (options.out) {
        await mkdir(dirname(options.out), { recursive: true });
        await writeFile(options.out, csv);
        if (!g().json) io.stdout.write(`Wrote ${options.out}\n`);
        else json(io, { out: options.out, rows: csv.split("\n").length - 2 });
      } else io.stdout.write(csv);
    });

  program
    .command("bundle")
    .description("export the audit bundle of a closed period (the whole log, JSON Lines)")
    .argument("<period>")
    .requiredOption("--out <file>", "bundle file to write")
    .action(async (period: string, options: { out: string }) => {
      await mkdir(dirname(options.out), { recursive: true });
      const position = await withStore(g(), (store) =>
        IcmWorkspace.exportBundleStored(store, period, options.out),
      );
      if (g().json) json(io, { out: options.out, period, events: position });
      else io.stdout.write(`Wrote the ${period} audit bundle (${position} events) to ${options.out}\n`);
    });

  program
    .command("verify-bundle")
    .description("verify an audit bundle on its own (no store); exit 4 unless it reproduces")
    .argument("<file>")
    .action(async (file: string) => {
      const report = await IcmWorkspace.verifyBundle(file);
      verification(io, outcome, report, g().json);
    });

  program
    .command("demo")
    .description("generate an organisation on a fresh embedded store, close three quarters and audit them")
    .option("--reps <n>", "individual-contributor reps", wholeNumber("--reps"), DEMO_DEFAULTS.reps)
    .option("--deals <n>", "deals over the three quarters", wholeNumber("--deals"), DEMO_DEFAULTS.deals)
    .option("--seed <n>", "scenario seed", wholeNumber("--seed"), DEMO_DEFAULTS.seed)
    .option("--no-tamper", "skip the tamper check")
    .action(async (o: { reps: number; deals: number; seed: number; tamper: boolean }) => {
      const result = await runDemo(io, { reps: o.reps, deals: o.deals, seed: o.seed, skipTamper: !o.tamper });
      if (result.verifications.some((v) => v.status !== "reproduced"))
        outcome.code = EXIT_VERIFICATION_FAILED;
    });

  return program;
}

/** Runs `icm` with the given arguments (without node and script); returns the exit code, never exits. */
export async function runIcm(argv: readonly string[], io: CliIo): Promise<number> {
  const outcome = new Outcome();
  const program = buildProgram(io, outcome);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return outcome.code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return error.exitCode === 0 ? EXIT_OK : EXIT_INVALID_INPUT;
    }
    return failure(io, error, program.opts<GlobalOptions>().json === true);
  }
}

import { baseline } from "./baseline/bench.js";
import { closeAndVerify } from "./close/bench.js";
import { statementsByRep } from "./close/by-rep.js";
import { previewTwice } from "./close/preview.js";
import { verifyAlone } from "./close/verify-alone.js";
import { generate } from "./generate/bench.js";
import { datasetRef, dropDataset, type StoreKind } from "./generate/dataset.js";
import { type Figures, runChildProcess } from "./harness/child.js";
import { dropsSharedDatasets } from "./harness/cleanup.js";
import { machineInfo } from "./harness/machine.js";
import { contention } from "./harness/measure.js";
import { type BenchOptions, parseArgs } from "./harness/options.js";
import { probeMachine } from "./harness/probe.js";
import { ingest } from "./ingest/bench.js";
import { projectorCatchUp } from "./projector/bench.js";
import { query } from "./query/bench.js";
import { replay } from "./replay/bench.js";
import { factsHeap } from "./replay/heap.js";

/** Benchmarks in the order `npm run bench` runs them (generate first: the others reuse its datasets). */
export const BENCHMARKS = ["generate", "replay", "close", "baseline", "ingest", "query"] as const;
/**
 * Run only when named. `projector` builds its own log of the crash e2e test's shape (few reps, many deals
 * each: `--reps 40 --deals 44555`), not the shared dataset; at the default size it would take hours.
 * `preview` is the close's statements phase alone (one open, two previews, with GC figures), for A/Bs.
 * `by-rep` times the first quarter's statement of every rep, one at a time: where a payout run's time goes.
 * `heap` is the facts' live heap after applying the whole log, without and with the kept log.
 * `machine` is the machine probe alone (harness/probe.ts), which every result line carries anyway.
 */
export const EXTRA_BENCHMARKS = ["projector", "preview", "by-rep", "heap", "machine"] as const;
type Name = (typeof BENCHMARKS)[number] | (typeof EXTRA_BENCHMARKS)[number];
/** `verify` is measured by the close benchmark (an audit replay needs the close it checks). */
const ALIASES: Record<string, Name> = { verify: "close", load: "generate" };

/**
 * `npm run bench [-- <name>...] [--reps N --deals M --seed S --workers W ...]`: each benchmark runs in
 * its own child process (clean peak-RSS figures, and `--cpu-prof` per benchmark with --profile), and one
 * JSON object per result goes to stdout. Progress goes to stderr.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const profile = argv.includes("--profile");
  const args = argv.filter((a) => a !== "--profile");
  const { names, options, child } = parseArgs(args, machineInfo().cores);
  if (child) return runChild(names, options);
  const selected = names.length === 0 ? [...BENCHMARKS] : names.map(resolveName);
  const common = {
    parameters: {
      seed: options.seed,
      reps: options.reps,
      deals: options.deals,
      quarters: options.quarters,
      startQuarter: options.startQuarter,
      workers: options.workers,
    },
    // Measured before any benchmark runs, so that nothing else is busy: see probe.ts for why it is here.
    machine: { ...machineInfo(), probe: await probeMachine(options) },
  };
  const command = `npm run bench -- ${argv.join(" ")}`.trim();
  let failures = 0;
  for (const name of [...new Set(selected)]) {
    const busy = contention();
    const started = new Date().toISOString();
    try {
      for (const figures of await runParent(name, options, profile)) {
        const { benchmark, ...rest } = figures;
        console.log(
          JSON.stringify({ benchmark, ...rest, ...common, date: started, command, contention: busy }),
        );
      }
    } catch (error) {
      failures += 1;
      console.log(
        JSON.stringify({ benchmark: name, error: String(error), ...common, date: started, command }),
      );
    }
  }
  if (dropsSharedDatasets([...new Set(selected)], options.keep)) {
    for (const kind of ["postgres", "pglite"] as StoreKind[])
      await dropDataset(datasetRef(options, kind), options);
  }
  return failures === 0 ? 0 : 1;
}

function resolveName(name: string): Name {
  const resolved = ALIASES[name] ?? name;
  if (![...BENCHMARKS, ...EXTRA_BENCHMARKS].includes(resolved as Name))
    throw new RangeError(
      `unknown benchmark ${name}; one of ${[...BENCHMARKS, ...EXTRA_BENCHMARKS, ...Object.keys(ALIASES)].join(", ")}`,
    );
  return resolved as Name;
}

/** Runs one benchmark as child processes and shapes what they report. */
async function runParent(name: Name, o: BenchOptions, profile: boolean): Promise<Figures[]> {
  if (name !== "replay") return runChildProcess(name, o, profile);
  const out: Figures[] = [];
  for (const kind of ["pglite", "postgres"] as StoreKind[]) {
    const single = (await runChildProcess(`replay-${kind}`, { ...o, workers: 1 }, profile))[0] as Figures;
    const multi =
      o.workers > 1 ? ((await runChildProcess(`replay-${kind}`, o, profile))[0] as Figures) : undefined;
    const rate = (f: Figures | undefined) => (f === undefined ? 0 : Number(f.eventsPerSecond));
    out.push({
      benchmark: `replay-${kind}`,
      singleCore: strip(single),
      ...(multi === undefined ? {} : { multiCore: strip(multi) }),
      speedup: multi === undefined ? 1 : Math.round((rate(multi) / rate(single)) * 100) / 100,
      sameStatements: multi === undefined || multi.statementsDigest === single.statementsDigest,
      targetEventsPerSecond: kind === "postgres" ? 100_000 : null,
    });
  }
  return out;
}

function strip(f: Figures): Record<string, unknown> {
  const { benchmark: _ignored, ...rest } = f;
  return rest;
}

async function runChild(names: readonly string[], o: BenchOptions): Promise<number> {
  const name = names[0];
  const emit = (benchmark: string, figures: object) => console.log(JSON.stringify({ benchmark, ...figures }));
  switch (name) {
    case "generate":
    case "generate-postgres":
    case "generate-pglite": {
      const kinds: StoreKind[] =
        name === "generate" ? ["postgres", "pglite"] : [name === "generate-pglite" ? "pglite" : "postgres"];
      for (const figures of await generate(o, kinds)) emit("generate", figures);
      break;
    }
    case "replay-pglite":
    case "replay-postgres":
      emit(name, await replay(o, name === "replay-pglite" ? "pglite" : "postgres"));
      break;
    case "close": {
      const { verify, ...close } = await closeAndVerify(o);
      emit("close", close);
      emit("verify", verify as object);
      break;
    }
    case "preview":
      emit("preview", await previewTwice(o));
      break;
    case "by-rep":
      emit("by-rep", await statementsByRep(o));
      break;
    case "heap":
      emit("heap", await factsHeap(o));
      break;
    case "machine":
      emit("machine", await probeMachine(o));
      break;
    case "verify-alone":
      // Started by the close benchmark while its close is in the store; not a benchmark of its own.
      emit("verify-alone", await verifyAlone(o));
      break;
    case "baseline":
      emit("baseline", await baseline(o));
      break;
    case "ingest":
      emit("ingest", await ingest(o));
      break;
    case "query":
      emit("query", await query(o));
      break;
    case "projector":
      emit(
        "projector",
        await projectorCatchUp({
          postgresUrl: o.postgresUrl,
          reps: o.reps,
          deals: o.deals,
          seed: o.seed,
          runs: [{ label: "defaults", limits: {} }],
        }),
      );
      break;
    default:
      throw new RangeError(`unknown child benchmark ${String(name)}`);
  }
  return 0;
}

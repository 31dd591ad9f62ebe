/** Parameters every benchmark accepts; `--reps 500 --deals 50000` style on the command line. */
export interface BenchOptions {
  readonly seed: number;
  readonly reps: number;
  readonly deals: number;
  readonly quarters: number;
  readonly startQuarter: string;
  /** Worker threads for the partitioned replay (default: the machine's cores, at most MAX_WORKERS). */
  readonly workers: number;
  readonly postgresUrl: string;
  readonly natsUrl: string;
  /** Keep the generated datasets (PostgreSQL schemas, PGlite directories) after the run. */
  readonly keep: boolean;
  /** Ingest: events sent over HTTP (default 20,000). */
  readonly ingestEvents: number;
  /** Query: seconds of load per measurement (default 10). */
  readonly durationS: number;
  /** Query: concurrent connections (default 200). */
  readonly connections: number;
}

export const DEFAULTS: BenchOptions = {
  seed: 20260101,
  reps: 10_000,
  deals: 1_000_000,
  quarters: 4,
  startQuarter: "2026-Q1",
  workers: 2,
  postgresUrl: "postgres://postgres@127.0.0.1:5432/test",
  natsUrl: "nats://127.0.0.1:4222",
  keep: false,
  ingestEvents: 20_000,
  durationS: 10,
  connections: 200,
};

export const MAX_WORKERS = 16;

const NUMERIC = new Set([
  "seed",
  "reps",
  "deals",
  "quarters",
  "workers",
  "ingestEvents",
  "durationS",
  "connections",
]);
const FLAGS: Record<string, keyof BenchOptions> = {
  "--seed": "seed",
  "--reps": "reps",
  "--deals": "deals",
  "--quarters": "quarters",
  "--start-quarter": "startQuarter",
  "--workers": "workers",
  "--postgres": "postgresUrl",
  "--nats": "natsUrl",
  "--ingest-events": "ingestEvents",
  "--duration": "durationS",
  "--connections": "connections",
};

export interface ParsedArgs {
  readonly names: string[];
  readonly options: BenchOptions;
  /** Set by the parent when it runs one benchmark in a child process. */
  readonly child: boolean;
}

export function parseArgs(argv: readonly string[], cores: number): ParsedArgs {
  const names: string[] = [];
  const values: Record<string, unknown> = { ...DEFAULTS, workers: Math.min(MAX_WORKERS, Math.max(1, cores)) };
  let child = false;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    if (arg === "--keep") values.keep = true;
    else if (arg === "--child") child = true;
    else if (arg.startsWith("--")) {
      const key = FLAGS[arg];
      const raw = argv[i + 1];
      if (key === undefined || raw === undefined)
        throw new RangeError(`unknown option or missing value: ${arg}`);
      i += 1;
      if (NUMERIC.has(key)) {
        const n = Number(raw);
        if (!Number.isSafeInteger(n) || n < 0)
          throw new RangeError(`${arg} needs a whole number, got ${raw}`);
        values[key] = n;
      } else values[key] = raw;
    } else names.push(arg);
  }
  const options = values as unknown as BenchOptions;
  if (options.workers < 1 || options.workers > MAX_WORKERS)
    throw new RangeError(`--workers must be 1..${MAX_WORKERS}`);
  return { names, options, child };
}

/** The options a child process needs to rebuild the same BenchOptions. */
export function toArgs(o: BenchOptions): string[] {
  const out: string[] = [];
  for (const [flag, key] of Object.entries(FLAGS)) out.push(flag, String(o[key]));
  if (o.keep) out.push("--keep");
  return out;
}

import type { ProjectorLimits } from "@icm/pipeline";
import { machineInfo } from "../harness/machine.js";
import { contention } from "../harness/measure.js";
import { projectorCatchUp } from "./bench.js";

const USAGE = `usage: node bench/dist/projector/main.js [--reps 40] [--deals 20000] [--seed 7]
    [--postgres URL] [--run 'label={"batchEvents":1000}']...
Projects the same generated log once per --run (default: one run with the default limits) and prints one
JSON line.`;

/** The crash e2e test's shape: 40 reps; 20,000 deals keeps the unbatched "before" run to a few minutes. */
const DEFAULTS = { reps: 40, deals: 20_000, seed: 7, postgresUrl: "postgres://postgres@127.0.0.1:5432/test" };

export async function main(argv: readonly string[]): Promise<number> {
  const o = { ...DEFAULTS };
  const runs: { label: string; limits: Partial<ProjectorLimits> }[] = [];
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new RangeError(`missing value for ${flag}\n${USAGE}`);
    if (flag === "--reps" || flag === "--deals" || flag === "--seed") {
      const n = Number(value);
      if (!Number.isSafeInteger(n) || n < 1)
        throw new RangeError(`${flag} needs a whole number, got ${value}`);
      o[flag.slice(2) as "reps" | "deals" | "seed"] = n;
    } else if (flag === "--postgres") o.postgresUrl = value;
    else if (flag === "--run") {
      const at = value.indexOf("=");
      if (at < 1) throw new RangeError(`--run needs label=JSON, got ${value}`);
      runs.push({
        label: value.slice(0, at),
        limits: JSON.parse(value.slice(at + 1)) as Partial<ProjectorLimits>,
      });
    } else throw new RangeError(`unknown option ${flag}\n${USAGE}`);
  }
  if (runs.length === 0) runs.push({ label: "defaults", limits: {} });
  const busy = contention();
  const date = new Date().toISOString();
  const figures = await projectorCatchUp({ ...o, runs });
  console.log(
    JSON.stringify({
      benchmark: "projector",
      ...figures,
      parameters: { reps: o.reps, deals: o.deals, seed: o.seed },
      machine: machineInfo(),
      date,
      command: `node bench/dist/projector/main.js ${argv.join(" ")}`.trim(),
      contention: busy,
    }),
  );
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, "/"))) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}

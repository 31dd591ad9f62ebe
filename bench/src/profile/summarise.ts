import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/** The parts of a V8 .cpuprofile this summary reads. */
interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface SelfTime {
  readonly fn: string;
  readonly where: string;
  readonly selfMs: number;
  readonly selfPercent: number;
}

/** Top functions by self time (time a sample was taken in the function itself, not its callees). */
export function topSelfTime(profile: CpuProfile, top: number): SelfTime[] {
  const byNode = new Map<number, CpuProfile["nodes"][number]>();
  for (const node of profile.nodes) byNode.set(node.id, node);
  const selfUs = new Map<string, { fn: string; where: string; us: number }>();
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    const node = byNode.get(id);
    if (node === undefined) return;
    const { functionName, url, lineNumber } = node.callFrame;
    const fn = functionName === "" ? "(anonymous)" : functionName;
    const where = url === "" ? "" : `${url.replace(/^file:\/\/\/work\/main\//, "")}:${lineNumber + 1}`;
    if (fn === "(idle)") return;
    totalUs += delta;
    const key = `${fn}@${where}`;
    const entry = selfUs.get(key) ?? { fn, where, us: 0 };
    entry.us += delta;
    selfUs.set(key, entry);
  });
  return [...selfUs.values()]
    .sort((a, b) => b.us - a.us || (a.fn < b.fn ? -1 : 1))
    .slice(0, top)
    .map((e) => ({
      fn: e.fn,
      where: e.where,
      selfMs: Math.round(e.us / 1000),
      selfPercent: totalUs === 0 ? 0 : Math.round((e.us / totalUs) * 1000) / 10,
    }));
}

/** Self time per package or library (packages/<name>, node_modules/<name>, node internals, GC). */
export function selfTimeByPackage(
  profile: CpuProfile,
  top: number,
): { pkg: string; selfMs: number; selfPercent: number }[] {
  const byNode = new Map<number, CpuProfile["nodes"][number]>();
  for (const node of profile.nodes) byNode.set(node.id, node);
  const totals = new Map<string, number>();
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    const node = byNode.get(id);
    if (node === undefined || node.callFrame.functionName === "(idle)") return;
    const delta = profile.timeDeltas[i] ?? 0;
    totalUs += delta;
    const url = node.callFrame.url;
    const pkg =
      /\/(packages|services)\/([^/]+)\//.exec(url)?.slice(1, 3).join("/") ??
      /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ??
      (url.startsWith("node:") ? "node internals" : url === "" ? node.callFrame.functionName : url);
    totals.set(pkg, (totals.get(pkg) ?? 0) + delta);
  });
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, top)
    .map(([pkg, us]) => ({
      pkg,
      selfMs: Math.round(us / 1000),
      selfPercent: totalUs === 0 ? 0 : Math.round((us / totalUs) * 1000) / 10,
    }));
}

/** `node bench/dist/profile/summarise.js <file.cpuprofile | directory> [top]`: prints a table per profile. */
function cli(argv: readonly string[]): void {
  const target = argv[0];
  if (target === undefined) throw new Error("usage: summarise.js <file.cpuprofile|dir> [top]");
  const top = Number(argv[1] ?? 20);
  const files = statSync(target).isDirectory()
    ? readdirSync(target)
        .filter((f) => f.endsWith(".cpuprofile"))
        .sort()
        .map((f) => join(target, f))
    : [target];
  for (const file of files) {
    const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
    console.log(`\n${file}`);
    console.log("| self ms | self % | function | where |\n| ---: | ---: | --- | --- |");
    for (const row of topSelfTime(profile, top))
      console.log(`| ${row.selfMs} | ${row.selfPercent} | \`${row.fn}\` | ${row.where} |`);
    console.log("\n| self ms | self % | package |\n| ---: | ---: | --- |");
    for (const row of selfTimeByPackage(profile, 12))
      console.log(`| ${row.selfMs} | ${row.selfPercent} | ${row.pkg} |`);
  }
}

if (process.argv[1]?.endsWith("summarise.js")) cli(process.argv.slice(2));

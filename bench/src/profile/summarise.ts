import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/** The parts of a V8 .cpuprofile this summary reads. */
interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
    /** Samples per source line (1-based) taken in this node's own code (V8 writes them with --cpu-prof). */
    readonly positionTicks?: readonly { readonly line: number; readonly ticks: number }[];
  }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** A script's URL relative to the checkout, as the tables print it. */
function shortUrl(url: string): string {
  return url.replace(/^file:\/\/\/work\/main\//, "");
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
    const where = url === "" ? "" : `${shortUrl(url)}:${lineNumber + 1}`;
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

/**
 * Top source lines by self time. A function's self time can hide one costly line among cheap ones: in round
 * 16 one line of `ownItems` (an object literal with two spreads) held 5.9 s of its 7.4 s. Lines of code V8
 * inlined are attributed to the function they were inlined into, under their own line numbers (`where`
 * names the outer function's file, so an inlined line from another file reads as a line of that one).
 */
export function topSelfLines(profile: CpuProfile, top: number): SelfTime[] {
  // A tick is one sample: the profile's mean interval. Percentages are of the busy time, as topSelfTime's.
  const usPerTick =
    profile.samples.length === 0
      ? 0
      : profile.timeDeltas.reduce((sum, delta) => sum + delta, 0) / profile.samples.length;
  const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === "(idle)").map((n) => n.id));
  const busySamples = profile.samples.filter((id) => !idle.has(id)).length;
  const totalUs = busySamples * usPerTick;
  const byLine = new Map<string, { fn: string; where: string; ticks: number }>();
  for (const node of profile.nodes) {
    const { functionName, url } = node.callFrame;
    if (functionName === "(idle)" || url === "") continue;
    const fn = functionName === "" ? "(anonymous)" : functionName;
    for (const { line, ticks } of node.positionTicks ?? []) {
      const where = `${shortUrl(url)}:${line}`;
      const key = `${fn}@${where}`;
      const entry = byLine.get(key) ?? { fn, where, ticks: 0 };
      entry.ticks += ticks;
      byLine.set(key, entry);
    }
  }
  return [...byLine.values()]
    .sort((a, b) => b.ticks - a.ticks || (a.where < b.where ? -1 : 1))
    .slice(0, top)
    .map((e) => ({
      fn: e.fn,
      where: e.where,
      selfMs: Math.round((e.ticks * usPerTick) / 1000),
      selfPercent: totalUs === 0 ? 0 : Math.round(((e.ticks * usPerTick) / totalUs) * 1000) / 10,
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
    console.log("\n| self ms | self % | line | function |\n| ---: | ---: | --- | --- |");
    for (const row of topSelfLines(profile, top))
      console.log(`| ${row.selfMs} | ${row.selfPercent} | ${row.where} | \`${row.fn}\` |`);
  }
}

if (process.argv[1]?.endsWith("summarise.js")) cli(process.argv.slice(2));

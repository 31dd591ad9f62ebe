import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// `list.push(...other)` passes every element as a call argument; past ~120,000 elements V8 throws
// "Maximum call stack size exceeded". A VP's ledger reached that at 10,000 reps / 1M deals, so the
// engine's calculation code must append in loops. This scans the sources so the pattern cannot come back.
const SRC = fileURLToPath(new URL("..", import.meta.url));

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith(".ts") && !name.endsWith(".spec.ts")) out.push(path);
  }
  return out;
}

describe("engine sources", () => {
  it("never spread a list into push (unbounded argument lists overflow the stack)", () => {
    const files = sourceFiles(SRC);
    expect(files.length).toBeGreaterThan(20);
    const offenders = files.filter((f) => /\.push\(\s*\.\.\./.test(readFileSync(f, "utf8")));
    expect(offenders).toEqual([]);
  });

  it("the failure it guards against is real", () => {
    const big = new Array<number>(500_000).fill(1);
    expect(() => [].push(...(big as never[]))).toThrow(RangeError);
  });
});

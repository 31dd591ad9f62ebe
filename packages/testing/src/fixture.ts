import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

/** A TypeScript test fixture bundled into one ES module file, for a child process or a worker to run. */
export interface BundledFixture {
  readonly script: string;
  /** Deletes the bundle's temporary directory. */
  remove(): void;
}

/**
 * Bundles `entry` (a fixture's TypeScript source, with what it imports) into a temporary directory named
 * after `dirPrefix`: tests that need a real process run the package's source as vitest does, not its build.
 */
export async function bundleFixture(entry: URL, dirPrefix: string): Promise<BundledFixture> {
  const dir = mkdtempSync(join(tmpdir(), dirPrefix));
  const script = join(dir, "fixture.mjs");
  await build({
    entryPoints: [fileURLToPath(entry)],
    outfile: script,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "error",
  });
  return { script, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

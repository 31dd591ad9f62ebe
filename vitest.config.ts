import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { defineConfig } from "vitest/config";

// Tests run against TypeScript sources, not built output: each workspace package name resolves to its
// src/index.ts (and `name/sub` to src/sub/index.ts), so `npm test` needs no build step first.
const root = import.meta.dirname;
const alias: { find: RegExp; replacement: string }[] = [];
for (const group of ["packages", "services"]) {
  const groupDir = join(root, group);
  if (!existsSync(groupDir)) continue;
  for (const dir of readdirSync(groupDir).sort()) {
    const manifest = join(groupDir, dir, "package.json");
    if (!existsSync(manifest)) continue;
    const name = (JSON.parse(readFileSync(manifest, "utf8")) as { name: string }).name;
    const escaped = name.replace(/[/\\^$*+?.()|[\]{}]/g, "\\$&");
    const src = resolve(groupDir, dir, "src");
    alias.push({ find: new RegExp(`^${escaped}/(.+)$`), replacement: `${src}/$1/index.ts` });
    alias.push({ find: new RegExp(`^${escaped}$`), replacement: `${src}/index.ts` });
  }
}

export default defineConfig({
  resolve: { alias },
  test: {
    include: [
      "packages/*/src/**/*.spec.ts",
      "services/*/src/**/*.spec.ts",
      "bench/src/**/*.spec.ts",
      "test/**/*.spec.ts",
    ],
    exclude: ["**/node_modules/**", "**/dist/**"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: integration suites share one PostgreSQL and one NATS server.
    maxWorkers: 2,
    reporters: ["default"],
  },
});

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { COMPLETE_EXAMPLE_PLAN, COMPONENT_KINDS, parsePlanDefinition, SECTION_8_PLAN } from "./index.js";

// docs/plan-language.md is what analysts copy plans from: every JSON example in it must be valid, and the
// complete example must be the plan the engine's own tests use.
const docsPath = join(import.meta.dirname, "../../../../docs/plan-language.md");
const markdown = readFileSync(docsPath, "utf8");
const blocks = [...markdown.matchAll(/(<!-- complete-example[^>]*-->\n)?```json\n([\s\S]*?)\n```/g)].map(
  (match) => ({
    complete: match[1] !== undefined,
    value: JSON.parse(match[2] ?? "") as Record<string, unknown>,
  }),
);

/** Places a documented fragment into a valid plan, where the fragment belongs. */
function planWith(fragment: Record<string, unknown>): unknown {
  const plan = structuredClone(SECTION_8_PLAN) as unknown as Record<string, unknown> & {
    components: unknown[];
  };
  if ("currency" in fragment) return fragment;
  if (typeof fragment.kind === "string" && (COMPONENT_KINDS as readonly string[]).includes(fragment.kind)) {
    plan.components = fragment.id === "commission" ? [fragment] : [...plan.components, fragment];
  } else if (fragment.kind === "on_close" || fragment.kind === "on_collection") plan.paymentTiming = fragment;
  else if ("windowDays" in fragment) plan.clawback = fragment;
  else plan.components = [{ ...(plan.components[0] as object), filter: fragment }];
  return plan;
}

describe("docs/plan-language.md", () => {
  it("has JSON examples", () => {
    expect(blocks.length).toBeGreaterThanOrEqual(10);
    expect(blocks.filter((b) => b.complete)).toHaveLength(1);
  });

  it("shows the complete example plan exactly as the engine's tests use it", () => {
    const complete = blocks.find((b) => b.complete);
    expect(complete?.value).toEqual(COMPLETE_EXAMPLE_PLAN);
  });

  it("has only valid examples", () => {
    for (const block of blocks) {
      const result = parsePlanDefinition(planWith(block.value));
      expect(result.ok ? [] : result.issues, JSON.stringify(block.value)).toEqual([]);
    }
  });
});

import type { CompiledDraw, CompiledPlan, Facts } from "../facts/index.js";

const END_OF_LOG = Number.MAX_SAFE_INTEGER;

/** The draw component of the plan in force for the rep on a date (e.g. a payout period's last day). */
export function drawComponentFor(
  facts: Facts,
  repId: string,
  date: string,
  throughPosition: number = END_OF_LOG,
): { plan: CompiledPlan; draw: CompiledDraw } | undefined {
  const found = facts.planFor(repId, date, throughPosition);
  if (found === undefined) return undefined;
  const draw = found.compiled.components.find((c): c is CompiledDraw => c.kind === "draw");
  return draw === undefined ? undefined : { plan: found.compiled, draw };
}

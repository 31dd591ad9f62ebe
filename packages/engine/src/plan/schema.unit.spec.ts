import { makeEvent } from "@icm/events";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  COMPLETE_EXAMPLE_PLAN,
  type PlanDefinition,
  parsePlanDefinition,
  planVersionOf,
  SECTION_8_PLAN,
  validateEvent,
} from "./index.js";

// Tests mutate plans freely as JSON; `any` is the honest type of hand-edited JSON here.
// biome-ignore lint/suspicious/noExplicitAny: test fixture mutation
type Json = any;

function mutated(base: PlanDefinition, patch: (plan: Json) => void): unknown {
  const plan = structuredClone(base) as Json;
  patch(plan);
  return plan;
}

const table = (plan: Json) => plan.components[0];
const band = (plan: Json, index: number) => plan.components[0].bands[index];

/** [rule in words, mutation of a valid plan, path of the issue, what the rule must say] */
const RULES: ReadonlyArray<readonly [string, (plan: Json) => void, string, RegExp]> = [
  [
    "currency without a minor-unit rule",
    (p) => {
      p.currency = "XXX";
    },
    "currency",
    /known minor-unit rule/,
  ],
  [
    "currency not an ISO code",
    (p) => {
      p.currency = "usd";
    },
    "currency",
    /ISO 4217/,
  ],
  [
    "rounding finer than the currency",
    (p) => {
      p.rounding.scale = 3;
    },
    "rounding.scale",
    /at most 2/,
  ],
  [
    "rounding finer than yen",
    (p) => {
      p.currency = "JPY";
      p.rounding.scale = 1;
    },
    "rounding.scale",
    /at most 0/,
  ],
  [
    "rounding scale negative",
    (p) => {
      p.rounding.scale = -1;
    },
    "rounding.scale",
    /must not be negative/,
  ],
  [
    "rounding scale fractional",
    (p) => {
      p.rounding.scale = 1.5;
    },
    "rounding.scale",
    /whole number/,
  ],
  [
    "rounding mode unknown",
    (p) => {
      p.rounding.mode = "BANKERS";
    },
    "rounding.mode",
    /one of HALF_EVEN, HALF_UP/,
  ],
  [
    "payout longer than quota",
    (p) => {
      p.quotaPeriod = "month";
      p.payoutPeriod = "quarter";
    },
    "payoutPeriod",
    /quarter payout period must not be longer than the month quota period/,
  ],
  [
    "payout period yearly",
    (p) => {
      p.payoutPeriod = "year";
    },
    "payoutPeriod",
    /one of month, quarter/,
  ],
  [
    "measure unknown",
    (p) => {
      p.measure = "revenue";
    },
    "measure",
    /one of amount, margin/,
  ],
  [
    "cumulative missing",
    (p) => {
      delete p.cumulative;
    },
    "cumulative",
    /is required/,
  ],
  [
    "payment timing unknown",
    (p) => {
      p.paymentTiming = { kind: "on_invoice" };
    },
    "paymentTiming.kind",
    /on_close.*on_collection/,
  ],
  [
    "holdback above 100%",
    (p) => {
      p.paymentTiming.holdback = { fraction: "1.5", releaseAfterDays: 30 };
    },
    "paymentTiming.holdback.fraction",
    /fraction from "0" to "1"/,
  ],
  [
    "holdback days negative",
    (p) => {
      p.paymentTiming.holdback = { fraction: "0.2", releaseAfterDays: -1 };
    },
    "paymentTiming.holdback.releaseAfterDays",
    /must not be negative/,
  ],
  [
    "holdback days fractional",
    (p) => {
      p.paymentTiming.holdback = { fraction: "0.2", releaseAfterDays: 2.5 };
    },
    "paymentTiming.holdback.releaseAfterDays",
    /whole number/,
  ],
  [
    "clawback window negative",
    (p) => {
      p.clawback = { windowDays: -5, method: "recompute" };
    },
    "clawback.windowDays",
    /must not be negative/,
  ],
  [
    "clawback method unknown",
    (p) => {
      p.clawback = { windowDays: 90, method: "forgive" };
    },
    "clawback.method",
    /one of recompute, original_rate/,
  ],
  [
    "no components",
    (p) => {
      p.components = [];
    },
    "components",
    /at least one component/,
  ],
  [
    "unknown component kind",
    (p) => {
      table(p).kind = "commission";
    },
    "components[0].kind",
    /^unknown component kind "commission"; expected one of rate_table, bonus, spiff, overlay, draw$/,
  ],
  [
    "component kind missing",
    (p) => {
      delete table(p).kind;
    },
    "components[0].kind",
    /is required/,
  ],
  [
    "no bands",
    (p) => {
      table(p).bands = [];
    },
    "components[0].bands",
    /at least one band/,
  ],
  [
    "first band not from 0",
    (p) => {
      band(p, 0).from = "0.1";
    },
    "components[0].bands[0].from",
    /first band must start at "0"/,
  ],
  [
    "band ends before it starts",
    (p) => {
      band(p, 1).to = "0.8";
    },
    "components[0].bands[1].to",
    /greater than from/,
  ],
  [
    "bands overlap",
    (p) => {
      band(p, 1).from = "0.9";
    },
    "components[0].bands[1].from",
    /^bands overlap/,
  ],
  [
    "bands leave a gap",
    (p) => {
      band(p, 1).from = "1.1";
    },
    "components[0].bands[1].from",
    /^bands leave a gap/,
  ],
  [
    "bands out of order",
    (p) => {
      table(p).bands = [
        { from: "0", to: "1", rate: "0.1" },
        { from: "1", to: "2", rate: "0.1" },
        { from: "0.5", to: null, rate: "0.1" },
      ];
    },
    "components[0].bands[2].from",
    /^bands are not in ascending order$/,
  ],
  [
    "open band before the last",
    (p) => {
      band(p, 1).to = null;
    },
    "components[0].bands[1].to",
    /only the last band may be open-ended/,
  ],
  [
    "last band closed",
    (p) => {
      band(p, 2).to = "3";
    },
    "components[0].bands[2].to",
    /last band must be open-ended/,
  ],
  [
    "band without rate or multiplier",
    (p) => {
      delete band(p, 1).rate;
    },
    "components[0].bands[1].rate",
    /either a rate or a multiplier/,
  ],
  [
    "band with rate and multiplier",
    (p) => {
      band(p, 1).multiplier = "1.5";
      table(p).targetIncentive = "10000";
    },
    "components[0].bands[1].multiplier",
    /not both/,
  ],
  [
    "multiplier without target incentive",
    (p) => {
      delete band(p, 1).rate;
      band(p, 1).multiplier = "1.5";
    },
    "components[0].targetIncentive",
    /required when a band uses a multiplier/,
  ],
  [
    "negative rate",
    (p) => {
      band(p, 0).rate = "-0.1";
    },
    "components[0].bands[0].rate",
    /must not be negative/,
  ],
  [
    "negative multiplier",
    (p) => {
      delete band(p, 0).rate;
      band(p, 0).multiplier = "-1";
      table(p).targetIncentive = "1";
    },
    "components[0].bands[0].multiplier",
    /must not be negative/,
  ],
  [
    "rate as a number",
    (p) => {
      band(p, 0).rate = 0.1;
    },
    "components[0].bands[0].rate",
    /decimal in quotes/,
  ],
  [
    "rate with exponent",
    (p) => {
      band(p, 0).rate = "1e-1";
    },
    "components[0].bands[0].rate",
    /no exponent/,
  ],
  [
    "band end missing",
    (p) => {
      delete band(p, 0).to;
    },
    "components[0].bands[0].to",
    /null for the open-ended last band/,
  ],
  [
    "gate threshold negative",
    (p) => {
      table(p).gate = { threshold: "-0.5", payFrom: "first_dollar" };
    },
    "components[0].gate.threshold",
    /must not be negative/,
  ],
  [
    "gate pays from unknown",
    (p) => {
      table(p).gate = { threshold: "0.5", payFrom: "second_dollar" };
    },
    "components[0].gate.payFrom",
    /first_dollar, above_threshold/,
  ],
  [
    "attainment cap zero",
    (p) => {
      table(p).attainmentCap = "0";
    },
    "components[0].attainmentCap",
    /greater than 0/,
  ],
  [
    "earnings cap negative",
    (p) => {
      table(p).earningsCap = { perPeriod: "-1" };
    },
    "components[0].earningsCap.perPeriod",
    /must not be negative/,
  ],
  [
    "earnings cap empty",
    (p) => {
      table(p).earningsCap = {};
    },
    "components[0].earningsCap",
    /perPeriod or perYear/,
  ],
  [
    "filter with no products",
    (p) => {
      table(p).filter = { products: [] };
    },
    "components[0].filter.products",
    /at least one product/,
  ],
  [
    "filter date not a date",
    (p) => {
      table(p).filter = { closeDateFrom: "2026-02-30" };
    },
    "components[0].filter.closeDateFrom",
    /calendar date/,
  ],
  [
    "filter minimum negative",
    (p) => {
      table(p).filter = { minAmount: "-5" };
    },
    "components[0].filter.minAmount",
    /must not be negative/,
  ],
  [
    "duplicate component ids",
    (p) => {
      p.components.push({ kind: "bonus", id: "commission", name: "B", attainmentLevel: "1", amount: "100" });
    },
    "components[1].id",
    /ids must be unique: "commission" is already used by components\[0\]/,
  ],
  [
    "bonus amount negative",
    (p) => {
      p.components.push({ kind: "bonus", id: "b", name: "B", attainmentLevel: "1", amount: "-100" });
    },
    "components[1].amount",
    /must not be negative/,
  ],
  [
    "spiff date window reversed",
    (p) => {
      p.components.push({
        kind: "spiff",
        id: "s",
        name: "S",
        filter: { closeDateFrom: "2026-03-31", closeDateTo: "2026-03-01" },
        payout: { kind: "fixed", amount: "100" },
      });
    },
    "components[1].filter.closeDateTo",
    /not be before closeDateFrom \(2026-03-31\)/,
  ],
  [
    "spiff payout kind unknown",
    (p) => {
      p.components.push({
        kind: "spiff",
        id: "s",
        name: "S",
        filter: {},
        payout: { kind: "percent", rate: "0.1" },
      });
    },
    "components[1].payout.kind",
    /unknown payout kind "percent"; expected one of fixed, rate/,
  ],
  [
    "spiff fixed amount negative",
    (p) => {
      p.components.push({
        kind: "spiff",
        id: "s",
        name: "S",
        filter: {},
        payout: { kind: "fixed", amount: "-1" },
      });
    },
    "components[1].payout.amount",
    /must not be negative/,
  ],
  [
    "overlay rate negative",
    (p) => {
      p.components.push({ kind: "overlay", id: "o", name: "O", rate: "-0.02" });
    },
    "components[1].rate",
    /must not be negative/,
  ],
  [
    "overlay depth zero",
    (p) => {
      p.components.push({ kind: "overlay", id: "o", name: "O", rate: "0.02", maxDepth: 0 });
    },
    "components[1].maxDepth",
    /1 or more/,
  ],
  [
    "two draws",
    (p) => {
      p.components.push(
        { kind: "draw", id: "d1", name: "D", amount: "1", recoverable: true },
        { kind: "draw", id: "d2", name: "D", amount: "1", recoverable: false },
      );
    },
    "components[2].kind",
    /at most one draw \(components\[1\] is already a draw\)/,
  ],
  [
    "recovery cap on a non-recoverable draw",
    (p) => {
      p.components.push({
        kind: "draw",
        id: "d",
        name: "D",
        amount: "5000",
        recoverable: false,
        recoveryCapPerPeriod: "100",
      });
    },
    "components[1].recoveryCapPerPeriod",
    /only a recoverable draw/,
  ],
  [
    "draw amount as a number",
    (p) => {
      p.components.push({ kind: "draw", id: "d", name: "D", amount: 5000, recoverable: true });
    },
    "components[1].amount",
    /decimal in quotes/,
  ],
  [
    "draw recoverable not a boolean",
    (p) => {
      p.components.push({ kind: "draw", id: "d", name: "D", amount: "5000", recoverable: "yes" });
    },
    "components[1].recoverable",
    /true or false/,
  ],
  [
    "component id empty",
    (p) => {
      table(p).id = "";
    },
    "components[0].id",
    /must not be empty/,
  ],
  [
    "misspelt field",
    (p) => {
      band(p, 0).rtae = "0.1";
    },
    "components[0].bands[0].rtae",
    /not a field/,
  ],
];

describe("parsePlanDefinition", () => {
  it("accepts the documented example plans unchanged", () => {
    for (const plan of [SECTION_8_PLAN, COMPLETE_EXAMPLE_PLAN]) {
      const result = parsePlanDefinition(plan);
      expect(result).toEqual({ ok: true, value: plan });
    }
  });

  it.each(RULES)("rejects %s", (_name, patch, path, rule) => {
    const result = parsePlanDefinition(mutated(SECTION_8_PLAN, patch));
    expect(result.ok).toBe(false);
    const issues = result.ok ? [] : result.issues;
    const atPath = issues.filter((issue) => issue.path === path);
    expect(atPath, JSON.stringify(issues)).not.toHaveLength(0);
    expect(
      atPath.some((issue) => rule.test(issue.rule)),
      JSON.stringify(issues),
    ).toBe(true);
  });

  it("reports every problem at once, not just the first", () => {
    const result = parsePlanDefinition(
      mutated(SECTION_8_PLAN, (p) => {
        p.currency = "XXX";
        band(p, 1).from = "1.1";
        band(p, 2).rate = 0.2;
      }),
    );
    expect(result.ok ? [] : result.issues.map((i) => i.path).sort()).toEqual([
      "components[0].bands[1].from",
      "components[0].bands[2].rate",
      "currency",
    ]);
  });

  it("accepts multipliers with a target incentive, a gate, holdback and clawback", () => {
    const result = parsePlanDefinition(
      mutated(SECTION_8_PLAN, (p) => {
        table(p).targetIncentive = "10000.00";
        table(p).bands = [
          { from: "0", to: "1", multiplier: "1" },
          { from: "1", to: null, multiplier: "1.5" },
        ];
        table(p).gate = { threshold: "0.5", payFrom: "above_threshold" };
        p.paymentTiming = { kind: "on_collection", holdback: { fraction: "0.1", releaseAfterDays: 60 } };
        p.clawback = { windowDays: 0, method: "original_rate" };
        p.rounding = { mode: "HALF_UP", scale: 0 };
      }),
    );
    expect(result.ok).toBe(true);
  });

  it("rejects garbage at the top with a path of $", () => {
    for (const raw of [null, [], "plan", 42, undefined]) {
      // An absent plan is "required"; anything else that is not an object "must be an object".
      const result = parsePlanDefinition(raw);
      expect(result).toEqual({
        ok: false,
        issues: [
          {
            path: "$",
            rule: expect.stringMatching(raw === undefined ? /^is required$/ : /must be an object/),
          },
        ],
      });
    }
  });
});

/** Every JSON path in a value, as key lists, so a mutation can target any field. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) out.push(...pathsOf(item, [...prefix, index]));
  } else if (typeof value === "object" && value !== null) {
    for (const [key, item] of Object.entries(value)) out.push(...pathsOf(item, [...prefix, key]));
  }
  return out;
}

const interesting = fc.oneof(
  fc.constantFrom(
    "0",
    "-1",
    "1",
    "1.5",
    "0.10",
    "1e3",
    "",
    "abc",
    "USD",
    "XXX",
    "2026-02-30",
    "2026-03-01",
    "draw",
    "bonus",
    "spiff",
  ),
  fc.constantFrom(null, true, false, 0, -1, 1.5, 3, [], {}),
  fc.jsonValue({ maxDepth: 2 }),
);

const mutation = fc.record({
  target: fc.nat(),
  action: fc.constantFrom("replace", "delete", "add-key", "duplicate"),
  value: interesting,
  key: fc.constantFrom(
    "kind",
    "to",
    "from",
    "rate",
    "multiplier",
    "extra",
    "recoveryCapPerPeriod",
    "holdback",
  ),
});

function applyMutation(plan: Json, m: { target: number; action: string; value: unknown; key: string }): Json {
  // A copy per use: fc.constantFrom hands out the same [] and {} every time, so two mutations could put an
  // object inside itself (a cycle: pathsOf then overflowed the stack, about once in 20,000 runs).
  const value = structuredClone(m.value);
  const paths = pathsOf(plan);
  const path = paths[m.target % paths.length] ?? [];
  if (path.length === 0) return m.action === "replace" ? value : plan;
  const parentPath = path.slice(0, -1);
  const last = path[path.length - 1] as string | number;
  let parent: Json = plan;
  for (const key of parentPath) parent = parent[key];
  if (m.action === "replace") parent[last] = value;
  else if (m.action === "delete") {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete parent[last];
  } else if (m.action === "duplicate" && Array.isArray(parent))
    parent.push(structuredClone(parent[last as number]));
  else if (typeof parent[last] === "object" && parent[last] !== null && !Array.isArray(parent[last]))
    parent[last][m.key] = value;
  return plan;
}

describe("law (g): the plan language never throws", () => {
  it("accepts or rejects mutated plans and garbage with a path and a rule for every issue", () => {
    const input = fc.oneof(
      fc
        .tuple(
          fc.constantFrom(SECTION_8_PLAN, COMPLETE_EXAMPLE_PLAN),
          fc.array(mutation, { minLength: 1, maxLength: 5 }),
        )
        .map(
          ([base, mutations]) => mutations.reduce(applyMutation, structuredClone(base) as Json) as unknown,
        ),
      fc.anything(),
    );
    fc.assert(
      fc.property(input, (raw) => {
        const result = parsePlanDefinition(raw);
        if (result.ok) {
          expect(result.value).toEqual(raw);
          expect(parsePlanDefinition(result.value).ok).toBe(true);
        } else {
          expect(result.issues.length).toBeGreaterThan(0);
          for (const issue of result.issues) {
            expect(typeof issue.path).toBe("string");
            expect(issue.path.length).toBeGreaterThan(0);
            expect(typeof issue.rule).toBe("string");
            expect(issue.rule.length).toBeGreaterThan(0);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("validateEvent", () => {
  const published = (definition: unknown) =>
    makeEvent("PlanVersionPublished", "plan-1-v1", {
      planId: "plan-1",
      version: 1,
      name: "Plan",
      definition: definition as Record<string, never>,
    });

  it("accepts a PlanVersionPublished with a valid definition", () => {
    const result = validateEvent(published(SECTION_8_PLAN));
    expect(result.ok).toBe(true);
    expect(result.ok && result.value.type).toBe("PlanVersionPublished");
  });

  it("reports a bad band with its full path inside the event", () => {
    const result = validateEvent(
      published(
        mutated(SECTION_8_PLAN, (p) => {
          band(p, 1).from = "1.2";
        }),
      ),
    );
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.issues).toEqual([
      {
        path: "data.definition.components[0].bands[1].from",
        rule: expect.stringMatching(/^bands leave a gap/),
      },
    ]);
  });

  it("passes other events through the event schemas", () => {
    const deal = makeEvent("QuotaSet", "q-1", {
      repId: "ana",
      period: "2026-Q1",
      amount: "100000",
      currency: "USD",
    });
    expect(validateEvent(deal).ok).toBe(true);
    const bad = validateEvent({ ...deal, data: { ...deal.data, amount: "-1" } });
    expect(bad.ok ? [] : bad.issues.map((i) => i.path)).toEqual(["data.amount"]);
    expect(validateEvent({ eventId: "x", type: "Nope", schemaVersion: 1, data: {} })).toEqual({
      ok: false,
      issues: [{ path: "type", rule: 'unknown event type "Nope"' }],
    });
  });
});

describe("planVersionOf", () => {
  it("builds the engine's plan version or names the definition path", () => {
    const good = planVersionOf({ planId: "p", version: 2, name: "P", definition: SECTION_8_PLAN });
    expect(good).toEqual({
      ok: true,
      value: { planId: "p", version: 2, name: "P", definition: SECTION_8_PLAN },
    });
    const bad = planVersionOf({
      planId: "p",
      version: 2,
      name: "P",
      definition: mutated(SECTION_8_PLAN, (p) => {
        p.currency = 1;
      }),
    });
    expect(bad.ok ? [] : bad.issues.map((i) => i.path)).toEqual(["definition.currency"]);
  });
});

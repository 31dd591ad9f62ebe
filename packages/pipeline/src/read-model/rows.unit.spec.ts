import { canonicalStatement, Engine, statementDigest } from "@icm/engine";
import { parseEventOrThrow } from "@icm/events";
import { describe, expect, it } from "vitest";
import { sampleHistory, sampleRepId } from "../embedded/sample-history.js";
import { statementRows } from "./rows.js";

describe("statement → read-model rows", () => {
  const engine = new Engine();
  sampleHistory({ reps: 2, deals: 30, seed: 3 }).forEach((event, index) => {
    engine.apply({ globalPosition: index + 1, event: parseEventOrThrow(event) });
  });
  const statement = engine.statements("2026-02").find((s) => s.repId === sampleRepId(0));

  it("stores the canonical statement and the digest a close records for it", () => {
    if (statement === undefined) throw new Error("fixture has no statement for R-0000 in 2026-02");
    const rows = statementRows(statement, canonicalStatement(statement));
    expect(rows.statement.digest).toBe(statementDigest(statement));
    expect(JSON.parse(rows.statement.statement)).toEqual(canonicalStatement(statement));
    expect(rows.statement.payable).toBe(String(canonicalStatement(statement).payable));
    expect(rows.entries.map((e) => [e.ordinal, e.entry_id, e.kind])).toEqual(
      statement.entries.map((e, i) => [i, e.id, e.kind]),
    );
    expect(rows.entries.length).toBeGreaterThan(0);
  });

  it("changes the rows digest when only a trace position changes (the statement digest does not)", () => {
    if (statement === undefined) throw new Error("fixture has no statement");
    const [first, ...rest] = statement.entries;
    if (first === undefined) throw new Error("fixture statement has no entries");
    const moved = {
      ...statement,
      entries: [
        { ...first, trace: { ...first.trace, positions: [...first.trace.positions, 999_999] } },
        ...rest,
      ],
    };
    const before = statementRows(statement, canonicalStatement(statement));
    const after = statementRows(moved, canonicalStatement(moved));
    expect(after.statement.digest).toBe(before.statement.digest);
    expect(after.statement.rows_digest).not.toBe(before.statement.rows_digest);
  });
});

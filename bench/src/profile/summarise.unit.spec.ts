import { describe, expect, it } from "vitest";
import { topSelfLines, topSelfTime } from "./summarise.js";

// Four samples of 1 ms: three in `ownItems` (two on line 257, one on line 204), one in `line`.
const profile = {
  nodes: [
    { id: 1, callFrame: { functionName: "(root)", url: "", lineNumber: -1 } },
    {
      id: 2,
      callFrame: {
        functionName: "ownItems",
        url: "file:///work/main/packages/engine/dist/compute.js",
        lineNumber: 162,
      },
      positionTicks: [
        { line: 257, ticks: 2 },
        { line: 204, ticks: 1 },
      ],
    },
    {
      id: 3,
      callFrame: {
        functionName: "line",
        url: "file:///work/main/packages/engine/dist/builder.js",
        lineNumber: 74,
      },
      positionTicks: [{ line: 79, ticks: 1 }],
    },
    {
      id: 4,
      callFrame: { functionName: "(idle)", url: "", lineNumber: -1 },
      positionTicks: [{ line: 1, ticks: 9 }],
    },
  ],
  samples: [2, 2, 3, 2],
  timeDeltas: [1000, 1000, 1000, 1000],
};

describe("profile summary", () => {
  it("ranks source lines by self time, each under its function and file", () => {
    expect(topSelfLines(profile, 10)).toEqual([
      { fn: "ownItems", where: "packages/engine/dist/compute.js:257", selfMs: 2, selfPercent: 50 },
      { fn: "line", where: "packages/engine/dist/builder.js:79", selfMs: 1, selfPercent: 25 },
      { fn: "ownItems", where: "packages/engine/dist/compute.js:204", selfMs: 1, selfPercent: 25 },
    ]);
    expect(topSelfLines(profile, 1)).toHaveLength(1);
  });

  it("the lines of a function add up to its self time", () => {
    const functions = topSelfTime(profile, 10);
    const ownItems = functions.find((f) => f.fn === "ownItems");
    const lines = topSelfLines(profile, 10).filter((l) => l.fn === "ownItems");
    expect(ownItems?.selfMs).toBe(3);
    expect(lines.reduce((sum, l) => sum + l.selfMs, 0)).toBe(3);
  });
});

import { describe, expect, it } from "vitest";
import { dropsSharedDatasets } from "./cleanup.js";

describe("dropping the shared datasets at the end of a run", () => {
  it("drops them only without --keep, and only when a selected benchmark used them", () => {
    expect(dropsSharedDatasets(["generate", "replay", "close"], false)).toBe(true);
    expect(dropsSharedDatasets(["machine", "query"], false)).toBe(true);
    expect(dropsSharedDatasets(["replay"], true)).toBe(false);
    for (const own of [["machine"], ["ingest"], ["projector"], ["machine", "ingest", "projector"]])
      expect(dropsSharedDatasets(own, false)).toBe(false);
  });
});

import { describe, expect, it } from "vitest";
import { ManagerHierarchy } from "./index.js";

describe("ManagerHierarchy", () => {
  it("answers the manager effective on a date", () => {
    const h = new ManagerHierarchy();
    h.setManager("ana", "maria", "2026-01-01", 1);
    h.setManager("ana", "lee", "2026-04-01", 2);
    expect(h.managerOn("ana", "2025-12-31")).toBeNull();
    expect(h.managerOn("ana", "2026-03-31")).toBe("maria");
    expect(h.managerOn("ana", "2026-04-01")).toBe("lee");
    expect(h.managerOn("ana", "2026-04-01", 1)).toBe("maria");
    expect(h.managerOn("nobody", "2026-04-01")).toBeNull();
  });

  it("lets a later change for the same date win, and a null manager end the chain", () => {
    const h = new ManagerHierarchy();
    h.setManager("ana", "maria", "2026-01-01", 1);
    h.setManager("ana", "lee", "2026-01-01", 2);
    expect(h.managerOn("ana", "2026-02-01")).toBe("lee");
    h.setManager("ana", null, "2026-06-01", 3);
    expect(h.chainOn("ana", "2026-06-01")).toEqual([]);
    expect(h.chainOn("ana", "2026-05-31")).toEqual(["lee"]);
  });

  it("walks the chain as it was on the date, up to maxDepth", () => {
    const h = new ManagerHierarchy();
    h.setManager("ana", "maria", "2026-01-01", 1);
    h.setManager("maria", "vp", "2026-01-01", 2);
    h.setManager("vp", "ceo", "2026-01-01", 3);
    h.setManager("maria", "vp2", "2026-07-01", 4);
    expect(h.chainOn("ana", "2026-03-01")).toEqual(["maria", "vp", "ceo"]);
    expect(h.chainOn("ana", "2026-07-01")).toEqual(["maria", "vp2"]);
    expect(h.chainOn("ana", "2026-03-01", 2)).toEqual(["maria", "vp"]);
    expect(h.chainOn("ana", "2026-03-01", 0)).toEqual([]);
    expect(h.chainOn("ana", "2026-03-01", undefined, 2)).toEqual(["maria", "vp"]);
  });

  it("stops on a cycle instead of looping", () => {
    const h = new ManagerHierarchy();
    h.setManager("a", "b", "2026-01-01", 1);
    h.setManager("b", "c", "2026-01-01", 2);
    h.setManager("c", "a", "2026-01-01", 3);
    expect(h.chainOn("a", "2026-02-01")).toEqual(["b", "c"]);
    h.setManager("d", "d", "2026-01-01", 4);
    expect(h.chainOn("d", "2026-02-01")).toEqual([]);
  });

  it("asserts log order per rep", () => {
    const h = new ManagerHierarchy();
    h.setManager("ana", "maria", "2026-01-01", 5);
    h.setManager("lee", "maria", "2026-01-01", 3); // another rep: any order
    expect(() => h.setManager("ana", "lee", "2026-01-01", 4)).toThrow(/log order/);
    expect(() => h.setManager("ana", "lee", "2026-13-01", 6)).toThrow(/YYYY-MM-DD/);
  });
});

import { createInMemoryEventStore, type EventStore, NO_CONCURRENCY_CHECK } from "@icm/event-store";
import { afterEach, describe, expect, it } from "vitest";
import { growthBoundOf, HeapGrowthSwitch } from "./heap-growth.js";
import { READ_PAGE_SIZE, readLogPages } from "./log.js";

/** A switch whose flag settings and collections are written down instead of reaching V8. */
function recordingSwitch(bound: number | undefined): { growth: HeapGrowthSwitch; calls: string[] } {
  const calls: string[] = [];
  const growth = new HeapGrowthSwitch(
    bound,
    (flags) => calls.push(flags),
    () => calls.push("collect"),
  );
  return { growth, calls };
}

describe("growthBoundOf", () => {
  it("reads the bound the process was started with, in either spelling and form", () => {
    expect(growthBoundOf(["--max-old-space-size=4096", "--heap-growing-percent=50"])).toBe(50);
    expect(growthBoundOf(["--heap_growing_percent=75"])).toBe(75);
    expect(growthBoundOf(["--heap-growing-percent", "30", "--expose-gc"])).toBe(30);
  });

  it("takes the last one given, as V8 does", () => {
    expect(growthBoundOf(["--heap-growing-percent=50", "--heap-growing-percent=20"])).toBe(20);
  });

  it("is undefined without one, for 0 (V8's own growth) and for a value V8 would not take", () => {
    expect(growthBoundOf([])).toBeUndefined();
    expect(growthBoundOf(["--max-semi-space-size=128"])).toBeUndefined();
    expect(growthBoundOf(["--heap-growing-percent=0"])).toBeUndefined();
    expect(growthBoundOf(["--heap-growing-percent=fifty"])).toBeUndefined();
    expect(growthBoundOf(["--heap-growing-percent"])).toBeUndefined();
  });
});

describe("HeapGrowthSwitch", () => {
  it("lifts the bound for the first bulk read, puts it back and collects once when the last one ends", () => {
    const { growth, calls } = recordingSwitch(50);
    const endOpen = growth.enterBulk();
    const endVerify = growth.enterBulk();
    expect(calls).toEqual(["--heap-growing-percent=0"]);
    endOpen();
    endOpen();
    expect(calls).toEqual(["--heap-growing-percent=0"]);
    endVerify();
    expect(calls).toEqual(["--heap-growing-percent=0", "--heap-growing-percent=50", "collect"]);
    growth.enterBulk()();
    expect(calls.slice(3)).toEqual(["--heap-growing-percent=0", "--heap-growing-percent=50", "collect"]);
  });

  it("does nothing in a process started without a bound", () => {
    const { growth, calls } = recordingSwitch(undefined);
    growth.enterBulk()();
    expect(calls).toEqual([]);
  });
});

describe("readLogPages and the heap's growth", () => {
  let store: EventStore | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  async function storeWith(events: number): Promise<EventStore> {
    const created = createInMemoryEventStore();
    store = created;
    const list = Array.from({ length: events }, (_, i) => ({
      eventId: `evt-${i}`,
      type: "Noted",
      schemaVersion: 1,
      data: { n: i },
      metadata: {},
    }));
    // Within the store's bound on one append.
    for (let from = 0; from < list.length; from += 1_000)
      await created.append("notes", list.slice(from, from + 1_000), NO_CONCURRENCY_CHECK);
    return created;
  }

  it("a read of more than one page is a bulk read: lifted after the first page, put back at the end", async () => {
    const s = await storeWith(READ_PAGE_SIZE * 2 + 1);
    const { growth, calls } = recordingSwitch(50);
    const seen: string[][] = [];
    const last = await readLogPages(s, { after: 0, heapGrowth: growth }, (page) => {
      seen.push([...calls]);
      expect(page.length).toBeGreaterThan(0);
    });
    expect(last).toBe(READ_PAGE_SIZE * 2 + 1);
    // The first page is handed over before anything is lifted: a small catch-up never switches.
    expect(seen).toEqual([[], ["--heap-growing-percent=0"], ["--heap-growing-percent=0"]]);
    expect(calls).toEqual(["--heap-growing-percent=0", "--heap-growing-percent=50", "collect"]);
  });

  it("a read of one page, or one that stops at `through` within it, leaves the bound alone", async () => {
    const s = await storeWith(READ_PAGE_SIZE * 2);
    const { growth, calls } = recordingSwitch(50);
    await readLogPages(s, { after: READ_PAGE_SIZE * 2 - 10, heapGrowth: growth }, () => undefined);
    await readLogPages(s, { after: 0, through: 10, heapGrowth: growth }, () => undefined);
    expect(calls).toEqual([]);
  });

  it("puts the bound back when a page's handler throws", async () => {
    const s = await storeWith(READ_PAGE_SIZE * 3);
    const { growth, calls } = recordingSwitch(50);
    let pages = 0;
    await expect(
      readLogPages(s, { after: 0, heapGrowth: growth }, () => {
        pages += 1;
        if (pages === 2) throw new Error("invalid event");
      }),
    ).rejects.toThrow("invalid event");
    expect(calls).toEqual(["--heap-growing-percent=0", "--heap-growing-percent=50", "collect"]);
  });
});

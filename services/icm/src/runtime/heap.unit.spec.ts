import { describe, expect, it } from "vitest";
import { HEAP_GROWING_PERCENT, HeapConfigError, heapFlags, MIN_HEAP_MIB, RELAUNCHED_ENV } from "./heap.js";

const GIB = 2 ** 30;
const base = { execArgv: [] as string[], env: {}, memoryBytes: 24 * GIB };
const GROWTH = `--heap-growing-percent=${HEAP_GROWING_PERCENT}`;

describe("heapFlags", () => {
  it("gives three quarters of memory to the old space, a 128 MiB semi-space and a growth bound by default", () => {
    expect(heapFlags(base)).toEqual(["--max-old-space-size=18432", "--max-semi-space-size=128", GROWTH]);
    expect(HEAP_GROWING_PERCENT).toBe(50);
  });

  it("takes ICM_HEAP_MIB as the old space", () => {
    expect(heapFlags({ ...base, env: { ICM_HEAP_MIB: " 8192 " } })).toEqual([
      "--max-old-space-size=8192",
      "--max-semi-space-size=128",
      GROWTH,
    ]);
  });

  it("leaves the heap alone when the operator sized it, in either spelling, in the command or NODE_OPTIONS", () => {
    expect(heapFlags({ ...base, execArgv: ["--max-old-space-size=4096"] })).toBeUndefined();
    expect(
      heapFlags({ ...base, env: { NODE_OPTIONS: "--enable-source-maps --max_old_space_size=4096" } }),
    ).toBeUndefined();
  });

  it("keeps the operator's semi-space when only that was given", () => {
    expect(heapFlags({ ...base, env: { NODE_OPTIONS: "--max-semi-space-size=32" } })).toEqual([
      "--max-old-space-size=18432",
      GROWTH,
    ]);
  });

  it("keeps the operator's heap growth when the command gives one, in either spelling", () => {
    expect(heapFlags({ ...base, execArgv: ["--heap-growing-percent=20"] })).toEqual([
      "--max-old-space-size=18432",
      "--max-semi-space-size=128",
    ]);
    expect(heapFlags({ ...base, execArgv: ["--heap_growing_percent=20"] })).toEqual([
      "--max-old-space-size=18432",
      "--max-semi-space-size=128",
    ]);
  });

  it("never restarts twice, nor when turned off", () => {
    expect(heapFlags({ ...base, env: { [RELAUNCHED_ENV]: "1" } })).toBeUndefined();
    expect(heapFlags({ ...base, env: { ICM_HEAP_MIB: "off" } })).toBeUndefined();
  });

  it("keeps Node's default on a machine too small to give more", () => {
    expect(heapFlags({ ...base, memoryBytes: 512 * 2 ** 20 })).toBeUndefined();
  });

  it.each(["8", "1.5", "-1", "lots", `${MIN_HEAP_MIB - 1}`])(
    "refuses ICM_HEAP_MIB=%s, naming the rule",
    (value) => {
      expect(() => heapFlags({ ...base, env: { ICM_HEAP_MIB: value } })).toThrow(HeapConfigError);
      expect(() => heapFlags({ ...base, env: { ICM_HEAP_MIB: value } })).toThrow(
        `ICM_HEAP_MIB must be a whole number of MiB of at least ${MIN_HEAP_MIB}, or "off"`,
      );
    },
  );
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SharedValues } from "./shared-values.js";

describe("SharedValues", () => {
  it("hands out one value per key, made once, and the right value even after it was cleared for room", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom("a", "b", "c", "d", "e"), { maxLength: 40 }),
        fc.integer({ min: 1, max: 6 }),
        (keys, limit) => {
          const shared = new SharedValues<{ key: string }>(limit);
          let made = 0;
          for (const key of keys) {
            const value = shared.get(key, (k) => {
              made += 1;
              return { key: k };
            });
            expect(value.key).toBe(key);
            expect(shared.get(key, () => ({ key: "never made" }))).toBe(value);
          }
          expect(made).toBeLessThanOrEqual(keys.length);
          // With room for every key, each is made exactly once.
          if (limit >= 5) expect(made).toBe(new Set(keys).size);
        },
      ),
    );
  });

  it("refuses a limit below one", () => {
    expect(() => new SharedValues(0)).toThrow(/limit/);
  });
});

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEvent } from "@icm/events";
import { describe, expect, it } from "vitest";
import { applyMapping, MappingError, parseMapping, rowFromObject } from "./mapping.js";

const examples = join(import.meta.dirname, "../../../../services/icm/examples");
const salesforce = parseMapping(
  JSON.parse(readFileSync(join(examples, "salesforce-opportunities.mapping.json"), "utf8")),
);
const version = (type: string) => (type === "DealClosed" ? 2 : 1);

describe("column mapping", () => {
  it("builds a valid DealClosed from a Salesforce opportunity row", () => {
    const raw = applyMapping(
      salesforce,
      {
        Id: "006A",
        "Account.Name": "Globex",
        Amount: "70,000.00",
        CurrencyIsoCode: "usd",
        CloseDate: "2/11/2026",
        Type: "Existing Business",
        Product__c: "Platform",
        Splits__c: "R-1:0.5; R-2:0.5",
      },
      version,
    );
    expect(raw).toEqual({
      eventId: "sfdc-opp-006A-closed",
      type: "DealClosed",
      schemaVersion: 2,
      data: {
        dealId: "006A",
        amount: "70000.00",
        currency: "USD",
        closeDate: "2026-02-11",
        product: "Platform",
        dealType: "expansion",
        customer: "Globex",
        splits: [
          { repId: "R-1", share: "0.5" },
          { repId: "R-2", share: "0.5" },
        ],
      },
      metadata: { source: "salesforce-opportunity-export", sourceRecordId: "006A" },
    });
    expect(parseEvent(raw).ok).toBe(true);
  });

  it("leaves empty cells out (validation names them) and uses defaults where the mapping gives one", () => {
    const raw = applyMapping(
      salesforce,
      { Id: "006B", Amount: "10", CurrencyIsoCode: "USD", Product__c: "P", Splits__c: "R-1:1" },
      version,
    );
    expect(raw.data).toMatchObject({ dealType: "new" });
    expect(raw.data).not.toHaveProperty("closeDate");
    const result = parseEvent(raw);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.map((i) => i.path)).toEqual(["data.closeDate"]);
  });

  it("cannot make an eventId from a template whose column is empty", () => {
    const raw = applyMapping(salesforce, { Id: " " }, version);
    expect(raw).not.toHaveProperty("eventId");
    const result = parseEvent(raw);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues[0]?.path).toBe("eventId");
  });

  it("supports constants, nested objects, arrays, an eventId column and integer cells", () => {
    const mapping = parseMapping({
      type: "QuotaSet",
      eventId: { column: "key" },
      data: {
        fixed: { value: "x" },
        nested: { object: { count: { column: "n", transform: ["integer"] } } },
        list: { array: [{ column: "a" }, { template: "{a}-{b}" }] },
        plain: { split: { column: "tags", itemSeparator: "|" } },
      },
    });
    expect(applyMapping(mapping, { key: "k-1", n: "42", a: "A", b: "B", tags: "x|y|" }, version)).toEqual({
      eventId: "k-1",
      type: "QuotaSet",
      schemaVersion: 1,
      data: { fixed: "x", nested: { count: 42 }, list: ["A", "A-B"], plain: ["x", "y"] },
      metadata: {},
    });
  });

  it("refuses a malformed mapping with the path of the problem", () => {
    expect(() =>
      parseMapping({ type: "DealClosed", eventId: { column: "Id" }, data: { amount: { colum: "Amount" } } }),
    ).toThrow(MappingError);
    expect(() => parseMapping({ type: "DealClosed", data: {} })).toThrow(/eventId/);
  });

  it("turns a JSON object into a row of cell texts", () => {
    expect(rowFromObject({ Id: "1", Amount: 1250, Won: true, nested: { a: 1 }, none: null })).toEqual({
      Id: "1",
      Amount: "1250",
      Won: "true",
    });
    expect(rowFromObject([1])).toBeUndefined();
  });
});

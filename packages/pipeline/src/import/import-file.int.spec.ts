import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeWith, NATS_URL } from "@icm/testing";
import { connect, type NatsConnection } from "nats";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createDeadLetterStore, type DeadLetterStore } from "../dead-letter/store.js";
import { sampleDeal, sampleRep } from "../ingest/sample-events.js";
import { readStreamEvents } from "../nats/message.js";
import { createEventPublisher, type EventPublisher } from "../nats/publisher.js";
import { deleteStreams, ensureStreams, type NatsTopology, testTopology } from "../nats/topology.js";
import { type ImportProgress, importFile } from "./import-file.js";
import { parseMapping } from "./mapping.js";

const examples = join(import.meta.dirname, "../../../../services/icm/examples");
const mapping = parseMapping(
  JSON.parse(readFileSync(join(examples, "salesforce-opportunities.mapping.json"), "utf8")),
);

await describeWith(["nats"], "file import", () => {
  let nc: NatsConnection;
  let topology: NatsTopology;
  let publisher: EventPublisher;
  let deadLetters: DeadLetterStore;
  let dir: string;

  async function eventsInStream(): Promise<Record<string, unknown>[]> {
    return (await readStreamEvents(await nc.jetstreamManager(), topology)) as Record<string, unknown>[];
  }

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
    topology = testTopology("import");
    const jsm = await nc.jetstreamManager();
    await ensureStreams(jsm, topology);
    publisher = createEventPublisher(nc.jetstream(), topology);
    deadLetters = createDeadLetterStore(nc.jetstream(), jsm, topology);
    dir = await mkdtemp(join(tmpdir(), "icm-import-"));
  });

  afterAll(async () => {
    await deleteStreams(await nc.jetstreamManager(), topology);
    await nc.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("imports the Salesforce example CSV: valid rows published in batches, invalid rows reported by line and dead-lettered", async () => {
    const progress: ImportProgress[] = [];
    const path = join(examples, "salesforce-opportunities.csv");
    const summary = await importFile({
      path,
      format: "csv",
      mapping,
      publisher,
      deadLetters,
      batchSize: 2,
      correlationId: "import-run-1",
      onProgress: (p) => progress.push(p),
    });
    expect(summary).toMatchObject({ lines: 5, published: 3, duplicates: 0, invalidCount: 2 });
    expect(summary.invalid).toEqual([
      {
        line: 5,
        eventId: "sfdc-opp-0065g00000AbCdE4-closed",
        issues: [{ path: "data.amount", rule: 'must be a decimal string such as "1250.00"' }],
      },
      {
        line: 6,
        eventId: "sfdc-opp-0065g00000AbCdE5-closed",
        issues: [{ path: "data.closeDate", rule: expect.any(String) }],
      },
    ]);
    const events = await eventsInStream();
    expect(events.map((e) => e.eventId)).toEqual([
      "sfdc-opp-0065g00000AbCdE1-closed",
      "sfdc-opp-0065g00000AbCdE2-closed",
      "sfdc-opp-0065g00000AbCdE3-closed",
    ]);
    expect(events[1]).toMatchObject({
      data: { amount: "70000.00", currency: "USD", closeDate: "2026-02-11", dealType: "expansion" },
      metadata: { source: "salesforce-opportunity-export", correlationId: "import-run-1" },
    });
    const last = progress.at(-1);
    expect(last).toMatchObject({ lines: 5, published: 3, invalid: 2 });
    expect(last?.bytesRead).toBe(last?.totalBytes);

    const letters = await deadLetters.list({ limit: 10, source: "import" });
    const bad = letters.find((l) => l.record.line === 5);
    expect(bad?.record).toMatchObject({
      source: "import",
      file: "salesforce-opportunities.csv",
      original:
        "0065g00000AbCdE4,Umbrella (bad amount),Umbrella,TBD,USD,2026-03-20,Closed Won,New Business,Platform,R-3:1",
      eventId: "sfdc-opp-0065g00000AbCdE4-closed",
      correlationId: "import-run-1",
    });
    expect(JSON.parse(bad?.record.candidate ?? "{}")).toMatchObject({ data: { amount: "TBD" } });

    // Importing the same file again (same batch size: the same messages) stores nothing new in the stream.
    // With another batch size the messages differ: the stream stores them, and the recorder finds every
    // event already in the log (recorder.int.spec.ts).
    const again = await importFile({ path, format: "csv", mapping, publisher, deadLetters, batchSize: 2 });
    expect(again).toMatchObject({ lines: 5, published: 0, duplicates: 3, invalidCount: 2 });
  });

  it("reports malformed CSV records and multi-line records by their first line", async () => {
    const path = join(dir, "broken.csv");
    await writeFile(
      path,
      [
        "Id,Account.Name,Amount,CurrencyIsoCode,CloseDate,Type,Product__c,Splits__c",
        'B-1,"Two-line',
        'customer",100.00,USD,2026-03-01,New Business,Platform,R-1:1',
        "B-2,Short row",
        "B-3,Fine,200.00,USD,2026-03-02,,Platform,R-1:1",
        "",
      ].join("\n"),
    );
    const summary = await importFile({ path, format: "csv", mapping, publisher, deadLetters });
    expect(summary).toMatchObject({ lines: 3, published: 2, invalidCount: 1 });
    expect(summary.invalid[0]?.line).toBe(4);
    expect(summary.invalid[0]?.issues[0]?.rule).toMatch(
      /^must be a well-formed CSV record: Invalid Record Length/,
    );
  });

  it("imports JSONL events, reporting lines that are not JSON or not valid events", async () => {
    const path = join(dir, "events.jsonl");
    const good = [sampleRep("J-1"), sampleDeal("J-D1")];
    await writeFile(
      path,
      [
        JSON.stringify(good[0]),
        "",
        "{not json",
        JSON.stringify({ ...sampleDeal("J-D2"), schemaVersion: 9 }),
        JSON.stringify(good[1]),
        JSON.stringify(sampleDeal("J-D1", "999.00")),
      ].join("\n"),
    );
    const summary = await importFile({ path, format: "jsonl", publisher, deadLetters });
    expect(summary).toMatchObject({ lines: 5, published: 2, duplicates: 0, invalidCount: 3 });
    expect(summary.invalid.map((i) => [i.line, i.issues[0]?.path])).toEqual([
      [3, "$"],
      [4, "schemaVersion"],
      [6, "eventId"],
    ]);
    expect(summary.invalid[2]?.issues[0]?.rule).toBe("repeats the eventId of line 5 with different content");
    const originals = (await deadLetters.list({ limit: 50, source: "import" })).map((l) => l.record.original);
    expect(originals).toContain("{not json");
  });

  it("maps JSONL deal rows through a mapping", async () => {
    const path = join(dir, "rows.jsonl");
    await writeFile(
      path,
      `${JSON.stringify({ Id: "JR-1", Amount: "1,000.00", CurrencyIsoCode: "USD", CloseDate: "2026-03-03", Product__c: "P", Splits__c: "R-1:1" })}\n`,
    );
    const summary = await importFile({ path, format: "jsonl", mapping, publisher, deadLetters });
    expect(summary).toMatchObject({ lines: 1, published: 1, invalidCount: 0 });
    const last = (await eventsInStream()).at(-1);
    expect(last).toMatchObject({ eventId: "sfdc-opp-JR-1-closed", data: { amount: "1000.00" } });
  });
});

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import {
  connectPipeline,
  deleteStreams,
  type NatsTopology,
  readStreamEvents,
  testTopology,
} from "@icm/pipeline";
import { describeWith, NATS_URL } from "@icm/testing";
import { connect, type NatsConnection } from "nats";
import { afterAll, beforeAll, expect, it } from "vitest";
import { argvFor, EXIT_FAILURE, EXIT_OK, EXIT_SOME_INVALID, runCli } from "./cli.js";

const examples = join(import.meta.dirname, "../../examples");

function capture() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on("data", (chunk: Buffer) => out.push(chunk.toString()));
  stderr.on("data", (chunk: Buffer) => err.push(chunk.toString()));
  return { stdout, stderr, text: () => out.join(""), errors: () => err.join("") };
}

await describeWith(["nats"], "icm-import and icm-dead-letters CLI", () => {
  let nc: NatsConnection;
  let topology: NatsTopology;
  let env: Record<string, string>;
  let dir: string;

  async function run(args: string[]) {
    const io = capture();
    const code = await runCli(args, { stdout: io.stdout, stderr: io.stderr, env });
    return { code, out: io.text(), err: io.errors() };
  }

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
    topology = testTopology("cli");
    env = {
      ICM_NATS_URL: NATS_URL,
      ICM_STREAM_NAME: topology.streamName,
      ICM_SUBJECT_PREFIX: topology.subjectPrefix,
      ICM_DEAD_LETTER_STREAM_NAME: topology.deadLetterStreamName,
      ICM_DEAD_LETTER_SUBJECT_PREFIX: topology.deadLetterSubjectPrefix,
    };
    dir = await mkdtemp(join(tmpdir(), "icm-cli-"));
  });

  afterAll(async () => {
    await deleteStreams(await nc.jetstreamManager(), topology);
    await nc.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("imports valid JSONL with exit code 0 and a printed summary", async () => {
    const result = await run([
      "import",
      join(examples, "events.jsonl"),
      "--format",
      "jsonl",
      "--no-progress",
    ]);
    expect(result.code).toBe(EXIT_OK);
    expect(result.out).toContain("events.jsonl: 3 records, 3 published, 0 already present, 0 invalid");
    const jsm = await nc.jetstreamManager();
    expect(await readStreamEvents(jsm, topology)).toHaveLength(3);
  });

  it("imports the sample CSV with exit code 2, naming each invalid line; the letters can be listed", async () => {
    const result = await run([
      "import",
      join(examples, "salesforce-opportunities.csv"),
      "--mapping",
      join(examples, "salesforce-opportunities.mapping.json"),
      "--format",
      "csv",
      "--batch-size",
      "2",
    ]);
    expect(result.code).toBe(EXIT_SOME_INVALID);
    expect(result.out).toContain(
      "salesforce-opportunities.csv: 5 records, 3 published, 0 already present, 2 invalid",
    );
    expect(result.out).toContain(
      'line 5 (sfdc-opp-0065g00000AbCdE4-closed): data.amount: must be a decimal string such as "1250.00"',
    );
    expect(result.out).toMatch(/line 6 \(sfdc-opp-0065g00000AbCdE5-closed\): data\.closeDate: /);

    const listed = await run(["dead-letters", "list", "--source", "import"]);
    expect(listed.code).toBe(EXIT_OK);
    const letters = listed.out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { seq: number; record: { line: number } });
    expect(letters.map((l) => l.record.line)).toEqual([5, 6]);
    expect(listed.err).toContain("2 pending dead letter(s)");

    const replay = await run(["dead-letters", "replay", String(letters[0]?.seq)]);
    expect(replay.code).toBe(EXIT_SOME_INVALID);
    expect(replay.out).toContain(`still invalid #${letters[0]?.seq}: data.amount`);
  });

  it("replays a letter that is valid now with exit code 0, and it leaves the pending list", async () => {
    const pipeline = await connectPipeline({ natsUrl: NATS_URL, topology, ensureStreams: false });
    const event = {
      eventId: "rep-onboarded-R-9",
      type: "RepOnboarded",
      schemaVersion: 1,
      data: { repId: "R-9", name: "Dee", planCurrency: "USD", hireDate: "2026-02-03" },
    };
    const { seq } = await pipeline.deadLetters.add({
      reason: "refused by a plan rule since fixed",
      source: "recorder",
      original: JSON.stringify(event),
      originalEncoding: "utf8",
      receivedAt: "2026-03-20T10:00:00.000Z",
      eventId: event.eventId,
    });
    await pipeline.close();

    const dry = await run(["dead-letters", "replay", "all", "--dry-run", "--source", "recorder"]);
    expect(dry.code).toBe(EXIT_OK);
    expect(dry.out).toContain(`would replay #${seq} as rep-onboarded-R-9`);

    const replay = await run(["dead-letters", "replay", String(seq)]);
    expect(replay.code).toBe(EXIT_OK);
    expect(replay.out).toContain("1 replayed, 0 still invalid, 0 not found");
    const jsm = await nc.jetstreamManager();
    expect((await readStreamEvents(jsm, topology)).at(-1)).toEqual({ ...event, metadata: {} });

    const listed = await run(["dead-letters", "list", "--source", "recorder"]);
    expect(listed.out).toBe("");
    const again = await run(["dead-letters", "replay", String(seq)]);
    expect(again.code).toBe(EXIT_SOME_INVALID);
    expect(again.out).toContain(`no pending dead letter #${seq}`);
  });

  it("fails with exit code 1 on a missing file, a bad mapping or bad configuration", async () => {
    const missing = await run([
      "import",
      join(dir, "nope.csv"),
      "--format",
      "csv",
      "--mapping",
      join(examples, "salesforce-opportunities.mapping.json"),
      "--no-progress",
    ]);
    expect(missing.code).toBe(EXIT_FAILURE);
    expect(missing.err).toMatch(/ENOENT/);

    const mappingPath = join(dir, "bad-mapping.json");
    await writeFile(mappingPath, JSON.stringify({ type: "DealClosed", data: {} }));
    const badMapping = await run([
      "import",
      join(examples, "salesforce-opportunities.csv"),
      "--format",
      "csv",
      "--mapping",
      mappingPath,
    ]);
    expect(badMapping.code).toBe(EXIT_FAILURE);
    expect(badMapping.err).toContain("invalid column mapping: eventId");

    const io = capture();
    const badConfig = await runCli(["dead-letters", "list"], {
      stdout: io.stdout,
      stderr: io.stderr,
      env: { ICM_NATS_URL: "http://x" },
    });
    expect(badConfig).toBe(EXIT_FAILURE);
    expect(io.errors()).toContain("ICM_NATS_URL: must be a NATS URL");

    const noFormat = await run(["import", "x.csv"]);
    expect(noFormat.code).toBe(EXIT_FAILURE);
    expect(noFormat.err).toContain("--format");
  });

  it("maps the icm-import and icm-dead-letters script names to subcommands", () => {
    expect(argvFor("/usr/bin/icm-import", ["a.csv"])).toEqual(["import", "a.csv"]);
    expect(argvFor("/x/icm-dead-letters.js", ["list"])).toEqual(["dead-letters", "list"]);
    expect(argvFor("/x/cli.js", ["import", "a.csv"])).toEqual(["import", "a.csv"]);
  });
});

import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPostgresEventStore } from "@icm/event-store-sql";
import { Decimal } from "@icm/events";
import { describeWith, POSTGRES_URL, uniqueTestName } from "@icm/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT_INVALID_INPUT, EXIT_OK, EXIT_REFUSED, EXIT_VERIFICATION_FAILED } from "./exit-codes.js";
import { memoryIo } from "./io.js";
import { runIcm } from "./program.js";

// The `icm` CLI in-process: every command against one store, with the documented exit codes.

const examples = join(import.meta.dirname, "examples");

async function icm(...argv: string[]) {
  const io = memoryIo();
  const code = await runIcm(argv, io);
  return { code, out: io.out(), err: io.err() };
}

describe("icm without a history", () => {
  it("rejects bad arguments and unknown periods with exit 2", async () => {
    expect((await icm("--store", "memory", "preview", "2026-Q9")).code).toBe(EXIT_INVALID_INPUT);
    expect((await icm("--store", "memory", "diff", "ana", "2026-Q1", "--from", "1")).code).toBe(
      EXIT_INVALID_INPUT,
    );
    expect(
      (await icm("--store", "memory", "statement", "ana", "2026-Q1", "--as-of", "last tuesday")).code,
    ).toBe(EXIT_INVALID_INPUT);
    expect((await icm("--store", "nonsense", "preview", "2026-Q1")).code).toBe(EXIT_INVALID_INPUT);
    const json = await icm("--store", "memory", "--json", "verify", "2026-Q1");
    expect(json.code).toBe(EXIT_INVALID_INPUT);
    expect(JSON.parse(json.out)).toMatchObject({ error: "not_found" });
  });

  it("prints help with exit 0", async () => {
    const help = await icm("--help");
    expect(help.code).toBe(EXIT_OK);
    expect(help.out).toContain("verify-bundle");
  });
});

await describeWith(["postgres"], "icm against PostgreSQL", () => {
  const schema = uniqueTestName("icm_cli");
  const store = `${POSTGRES_URL}?schema=${schema}`;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "icm-cli-"));
  });
  afterAll(async () => {
    const pg = await createPostgresEventStore({ connectionString: POSTGRES_URL, schema });
    await pg.executor.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pg.close();
    await rm(dir, { recursive: true, force: true });
  });
  const run = (...argv: string[]) => icm("--store", store, ...argv);

  it("finance: import, preview, refused close (3), close with override, payroll export to the cent", async () => {
    expect((await run("import", join(examples, "acme-q1.jsonl"))).code).toBe(EXIT_OK);
    const again = await run("--json", "import", join(examples, "acme-q1.jsonl"));
    expect(JSON.parse(again.out)).toMatchObject({ published: 0, duplicates: 18 });
    const preview = JSON.parse((await run("--json", "preview", "2026-Q1")).out) as {
      canClose: boolean;
      totals: { currency: string; payable: string }[];
    };
    expect(preview.canClose).toBe(false);
    expect(preview.totals).toEqual([{ currency: "USD", payable: "28127.50", reps: 3 }]);
    const refused = await run("--json", "close", "2026-Q1");
    expect(refused.code).toBe(EXIT_REFUSED);
    expect(JSON.parse(refused.out)).toMatchObject({ error: "close_refused", period: "2026-Q1" });
    const closed = await run(
      "--json",
      "close",
      "2026-Q1",
      "--actor",
      "fin@acme.example",
      "--override",
      "partner deal",
    );
    expect(closed.code).toBe(EXIT_OK);
    expect(JSON.parse(closed.out)).toMatchObject({
      alreadyClosed: false,
      close: { override: { reason: "partner deal" } },
    });
    const twice = await run("--json", "close", "2026-Q1", "--override", "again");
    expect(JSON.parse(twice.out)).toMatchObject({ alreadyClosed: true });
    const csv = (await run("export", "2026-Q1")).out.trimEnd().split("\n");
    const rows = csv.slice(1).map((l) => l.split(","));
    const sum = rows.filter((r) => r[0] !== "TOTAL").reduce((s, r) => s.plus(r[2] ?? "0"), new Decimal(0));
    expect(rows.find((r) => r[0] === "TOTAL")?.[2]).toBe(sum.toFixed(2));
    expect(sum.toFixed(2)).toBe("28127.50");
  });

  it("rep: late facts, statement as of the close, explain, diff naming the late events, what-if", async () => {
    const close = JSON.parse((await run("--json", "close", "2026-Q1", "--override", "x")).out) as {
      position: number;
    };
    expect((await run("import", join(examples, "acme-after-close.jsonl"))).code).toBe(EXIT_OK);
    const q2 = JSON.parse((await run("--json", "statement", "ana", "2026-Q2")).out) as {
      payable: string;
      entries: { id: string; kind: string; amount: string }[];
    };
    const ppa = q2.entries.find((e) => e.kind === "prior_period_adjustment");
    expect(ppa?.amount).toBe("-12271.25");
    const before = JSON.parse(
      (await run("--json", "statement", "ana", "2026-Q2", "--as-of", String(close.position))).out,
    ) as {
      entries: unknown[];
    };
    expect(before.entries).toEqual([]);
    // `icm as-of` is the same question as `statement --as-of`.
    expect(JSON.parse((await run("--json", "as-of", "ana", "2026-Q2", String(close.position))).out)).toEqual(
      before,
    );
    const explained = await run("explain", "ana", "2026-Q2", ppa?.id ?? "");
    expect(explained.out).toContain("cancel-D-2");
    const diff = JSON.parse(
      (await run("--json", "diff", "ana", "2026-Q2", "--from", String(close.position), "--to", "23")).out,
    ) as {
      events: { eventId: string }[];
    };
    expect(diff.events.map((e) => e.eventId)).toEqual(["cancel-D-2", "deal-D-7"]);
    const whatIf = await run(
      "--json",
      "what-if",
      "ana",
      "--amount",
      "10000.00",
      "--currency",
      "USD",
      "--date",
      "2026-05-10",
    );
    expect(JSON.parse(whatIf.out)).toMatchObject({ payableDelta: "1000", periods: ["2026-Q2"] });
    expect(JSON.parse((await run("--json", "preview", "2026-Q2")).out)).toMatchObject({
      throughPosition: 23,
    });
  });

  it("auditor: verify (0), proof, bundle → verify-bundle (0), an edited bundle fails (4)", async () => {
    const verify = await run("verify", "2026-Q1");
    expect(verify.code).toBe(EXIT_OK);
    expect(verify.out).toContain("REPRODUCED");
    const proof = JSON.parse((await run("--json", "proof", "2026-Q1", "ana")).out) as { verified: boolean };
    expect(proof.verified).toBe(true);
    const bundle = join(dir, "q1.jsonl");
    expect((await run("bundle", "2026-Q1", "--out", bundle)).code).toBe(EXIT_OK);
    const ok = await icm("verify-bundle", bundle);
    expect(ok.code).toBe(EXIT_OK);
    const text = await readFile(bundle, "utf8");
    await writeFile(bundle, text.replace('"amount":"50000.00"', '"amount":"95000.00"'));
    const bad = await icm("--json", "verify-bundle", bundle);
    expect(bad.code).toBe(EXIT_VERIFICATION_FAILED);
    expect(JSON.parse(bad.out)).toMatchObject({ status: "diverged", divergence: { repId: "ana" } });
  });
});

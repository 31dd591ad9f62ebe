import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { canonicalJson, type DomainEvent } from "@icm/events";
import { build } from "esbuild";

const root = resolve(import.meta.dirname, "../..");

/**
 * Bundles a service entry point (TypeScript sources of every @icm package) into one ESM file that plain
 * `node` can run as a child process; third-party packages stay external and load from node_modules. The
 * bundle lives under node_modules/.cache so that those imports resolve.
 */
export async function bundleEntry(entry: string, name: string): Promise<string> {
  const workspace = new Map<string, string>();
  for (const group of ["packages", "services"]) {
    for (const dir of readdirSync(join(root, group))) {
      const manifest = join(root, group, dir, "package.json");
      if (!existsSync(manifest)) continue;
      const pkg = JSON.parse(readFileSync(manifest, "utf8")) as { name: string };
      workspace.set(pkg.name, join(root, group, dir, "src", "index.ts"));
    }
  }
  const outDir = join(root, "node_modules", ".cache", "icm-pipeline-e2e");
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, `${name}.mjs`);
  await build({
    entryPoints: [join(root, entry)],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "error",
    plugins: [
      {
        name: "workspace",
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (args) => {
            const local = workspace.get(args.path);
            if (local !== undefined) return { path: local };
            return { path: args.path, external: true };
          });
        },
      },
    ],
  });
  return outfile;
}

export interface Child {
  readonly process: ChildProcess;
  readonly output: () => string;
  /** Resolves with the exit code (or the signal name) when the process ends. */
  readonly exited: Promise<number | string>;
  /**
   * Resolves once the process has printed `text` (a log line saying it is running): a signal sent before
   * a Node process has installed its handlers kills it by the default action.
   */
  readonly printed: (text: string) => Promise<void>;
}

export function startChild(bundle: string, env: Record<string, string>, args: string[] = []): Child {
  const child = spawn(process.execPath, [bundle, ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let waiters: { text: string; resolve: () => void }[] = [];
  const keep = (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    // The tail of what came before too: a marker can straddle two chunks.
    const recent = output.slice(-1_000) + text;
    output += text;
    if (output.length > 200_000) output = output.slice(-100_000);
    waiters = waiters.filter((waiter) => {
      if (!recent.includes(waiter.text)) return true;
      waiter.resolve();
      return false;
    });
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<number | string>((resolveExit) => {
    child.on("exit", (code, signal) => resolveExit(code ?? signal ?? "unknown"));
  });
  const printed = (text: string) =>
    output.includes(text)
      ? Promise.resolve()
      : new Promise<void>((resolve) => waiters.push({ text, resolve }));
  return { process: child, output: () => output, exited, printed };
}

export async function waitFor(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  // A condition that throws (a request during a NATS restart) is just "not yet".
  while (
    !(await Promise.resolve()
      .then(condition)
      .catch(() => false))
  ) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A deterministic PRNG for the test's own choices (which events to duplicate or break). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Input {
  /** Exactly the bytes published. */
  readonly body: string;
  readonly subject: string;
  /** Nats-Msg-Id; duplicates get a different one so that they reach the recorder, not just the stream. */
  readonly msgId: string;
  readonly kind: "valid" | "duplicate" | "invalid";
  readonly eventId: string;
  /** For invalid inputs: the field the recorder's dead letter must name. */
  readonly expectedPath?: string;
}

const BREAKERS: readonly ((e: DomainEvent) => { value: unknown; path: string })[] = [
  (e) => ({ value: { ...e, data: { ...e.data, amount: "12,50" } }, path: "data.amount" }),
  (e) => ({ value: { ...e, data: { ...e.data, currency: "usd" } }, path: "data.currency" }),
  (e) => ({ value: { ...e, data: { ...e.data, splits: [] } }, path: "data.splits" }),
  (e) => ({ value: { ...e, data: { ...e.data, closeDate: "2026-02-30" } }, path: "data.closeDate" }),
  (e) => ({ value: { ...e, schemaVersion: 9 }, path: "schemaVersion" }),
];

/**
 * The valid history with `duplicateRate` re-sends of earlier events and `invalidRate` broken deals (with
 * their own ids, so they never collide with a valid event) mixed in at seeded positions.
 */
export function mixInputs(
  valid: readonly DomainEvent[],
  subjectPrefix: string,
  duplicateRate: number,
  invalidRate: number,
  seed: number,
): Input[] {
  const random = seeded(seed);
  const total = Math.round(valid.length / (1 - duplicateRate - invalidRate));
  const duplicates = Math.round(total * duplicateRate);
  const invalid = total - valid.length - duplicates;
  const out: Input[] = valid.map((e) => ({
    body: canonicalJson(e),
    subject: `${subjectPrefix}.${e.type}`,
    msgId: e.eventId,
    kind: "valid",
    eventId: e.eventId,
  }));
  const deals = valid.filter((e) => e.type === "DealClosed");
  const insertAfter = (at: number, input: Input) => out.splice(Math.min(at, out.length), 0, input);
  for (let i = 0; i < invalid; i += 1) {
    const deal = deals[Math.floor(random() * deals.length)] as DomainEvent;
    const breaker = BREAKERS[i % BREAKERS.length] as (typeof BREAKERS)[number];
    const eventId = `broken-${i}`;
    const { value, path } = breaker({ ...deal, eventId } as DomainEvent);
    insertAfter(Math.floor(random() * out.length), {
      body: JSON.stringify(value),
      subject: `${subjectPrefix}.${deal.type}`,
      msgId: eventId,
      kind: "invalid",
      eventId,
      expectedPath: path,
    });
  }
  for (let i = 0; i < duplicates; i += 1) {
    const at = 1 + Math.floor(random() * out.length);
    const earlier = out.slice(0, at).filter((input) => input.kind === "valid");
    const original = earlier[Math.floor(random() * earlier.length)] as Input;
    insertAfter(at, { ...original, msgId: `${original.msgId}#resent-${i}`, kind: "duplicate" });
  }
  return out;
}

/** The nats-server binary the private server runs (the one the machine's own NATS runs). */
export const NATS_SERVER_BINARY = process.env.ICM_NATS_SERVER_BINARY ?? "/usr/sbin/nats-server";

export interface PrivateNats {
  readonly url: string;
  /** Stops the server (SIGTERM) and starts it again on the same port and JetStream directory. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const { createServer } = await import("node:net");
  return await new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolvePort(address.port) : reject()));
    });
  });
}

async function portOpen(port: number): Promise<boolean> {
  const { connect: connectTcp } = await import("node:net");
  return await new Promise((done) => {
    const socket = connectTcp({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      done(true);
    });
    socket.once("error", () => done(false));
  });
}

/**
 * A NATS server of the test's own, on a free port with its own JetStream directory, so that a test can
 * restart "the" NATS server mid-stream without taking the machine's shared server (and every other suite
 * running in parallel) down with it.
 */
export async function startPrivateNats(): Promise<PrivateNats> {
  const { mkdtempSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const port = await freePort();
  const storeDir = mkdtempSync(join(tmpdir(), "icm-nats-"));
  let server: ChildProcess | undefined;
  const start = async () => {
    server = spawn(NATS_SERVER_BINARY, ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", storeDir], {
      stdio: "ignore",
    });
    await waitFor("the private NATS server to listen", () => portOpen(port), 20_000);
  };
  const halt = async () => {
    const running = server;
    server = undefined;
    if (running === undefined || running.exitCode !== null) return;
    const exited = new Promise((done) => running.once("exit", done));
    running.kill("SIGTERM");
    await exited;
  };
  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    restart: async () => {
      await halt();
      await start();
    },
    stop: async () => {
      await halt();
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}

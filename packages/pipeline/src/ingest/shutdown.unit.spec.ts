import { describe, expect, it } from "vitest";
import { createLogger } from "../logging/logger.js";
import { installGracefulShutdown } from "./shutdown.js";

const logger = createLogger({ level: "silent", name: "test" });

describe("graceful shutdown", () => {
  it("on the signal closes, then runs afterClose, then exits 0; only once", async () => {
    const steps: string[] = [];
    const exits: number[] = [];
    let finished: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      finished = resolve;
    });
    installGracefulShutdown({
      close: async () => {
        steps.push("close");
      },
      afterClose: async () => {
        steps.push("drain");
      },
      timeoutMs: 5_000,
      logger,
      signals: ["SIGUSR2"],
      exit: (code) => {
        exits.push(code);
        finished();
      },
    });
    process.emit("SIGUSR2");
    await done;
    expect(steps).toEqual(["close", "drain"]);
    expect(exits).toEqual([0]);
    // The handler is gone after the first signal: a second one is not handled here again.
    expect(process.listenerCount("SIGUSR2")).toBe(0);
  });

  it("exits 1 when in-flight work outlasts the timeout, and when closing fails", async () => {
    const exits: number[] = [];
    const stuck = installGracefulShutdown({
      close: () => new Promise<void>(() => undefined),
      timeoutMs: 20,
      logger,
      signals: [],
      exit: (code) => exits.push(code),
    });
    await stuck.shutdown("test");
    const failing = installGracefulShutdown({
      close: async () => {
        throw new Error("port already closed");
      },
      timeoutMs: 1_000,
      logger,
      signals: [],
      exit: (code) => exits.push(code),
    });
    await failing.shutdown("test");
    expect(exits).toEqual([1, 1]);
  });

  it("returns the same shutdown to every caller and can be disposed without shutting down", async () => {
    let closes = 0;
    const exits: number[] = [];
    const graceful = installGracefulShutdown({
      close: async () => {
        closes += 1;
      },
      timeoutMs: 1_000,
      logger,
      signals: ["SIGUSR2"],
      exit: (code) => exits.push(code),
    });
    expect(process.listenerCount("SIGUSR2")).toBe(1);
    graceful.dispose();
    expect(process.listenerCount("SIGUSR2")).toBe(0);
    await Promise.all([graceful.shutdown("a"), graceful.shutdown("b")]);
    expect(closes).toBe(1);
    expect(exits).toEqual([0]);
  });
});

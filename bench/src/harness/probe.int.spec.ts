import { describeWith, NATS_URL, POSTGRES_URL } from "@icm/testing";
import { expect, it } from "vitest";
import { probeMachine } from "./probe.js";

await describeWith(["postgres", "nats"], "machine probe against the real services", () => {
  it("measures both round trips, the system call and the CPU, and reads the kernel facts", async () => {
    const probe = await probeMachine({ postgresUrl: POSTGRES_URL, natsUrl: NATS_URL });
    for (const roundTrip of [probe.postgresRoundTripUs, probe.natsRoundTripUs]) {
      if ("unavailable" in roundTrip) throw new Error(`a service was unavailable: ${roundTrip.unavailable}`);
      expect(roundTrip.p50).toBeGreaterThan(0);
      expect(roundTrip.p99).toBeGreaterThanOrEqual(roundTrip.p50);
    }
    expect(probe.syscallNs).toBeGreaterThan(0);
    expect(probe.sha256MiBPerSecond).toBeGreaterThan(0);
    for (const fact of [probe.kernel.pcid, probe.kernel.damonRunning])
      expect(fact === null || typeof fact === "boolean").toBe(true);
    expect(probe.kernel.meltdown === null || probe.kernel.meltdown.length > 0).toBe(true);
  });

  it("names the reason when a service does not answer, and still measures the rest", async () => {
    // Port 1 on loopback: nothing listens there, so both connections are refused at once.
    const probe = await probeMachine({
      postgresUrl: "postgres://postgres@127.0.0.1:1/test",
      natsUrl: "nats://127.0.0.1:1",
    });
    expect(probe.postgresRoundTripUs).toEqual({
      unavailable: expect.stringMatching(/ECONNREFUSED|connect/i),
    });
    expect(probe.natsRoundTripUs).toEqual({
      unavailable: expect.stringMatching(/CONNECTION_REFUSED|ECONNREFUSED|connect/i),
    });
    expect(probe.syscallNs).toBeGreaterThan(0);
  });
});

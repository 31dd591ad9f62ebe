import type { NatsConnection } from "nats";
import { type NatsTopology, streamsExist } from "../nats/topology.js";

export interface ReadinessCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail?: string;
}

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: readonly ReadinessCheck[];
}

/** A readiness probe: resolves (never rejects) with what is and is not working. */
export type ReadinessProbe = () => Promise<ReadinessReport>;

/** Combines checks; ready only when every one is. */
export function readinessOf(checks: readonly ReadinessCheck[]): ReadinessReport {
  return { ready: checks.every((c) => c.ok), checks };
}

/**
 * Ready = connected to NATS and both streams exist. The probe is bounded by the JetStream API timeout of
 * the connection, so a hung server makes /ready answer "not ready", not hang.
 */
export function natsReadiness(nc: NatsConnection, topology: NatsTopology): ReadinessProbe {
  return async () => {
    if (nc.isClosed() || nc.isDraining()) {
      return readinessOf([{ name: "nats", ok: false, detail: "connection closed" }]);
    }
    const checks: ReadinessCheck[] = [{ name: "nats", ok: true, detail: nc.getServer() }];
    try {
      const jsm = await nc.jetstreamManager({ timeout: 2_000 });
      const exists = await streamsExist(jsm, topology);
      checks.push({
        name: "streams",
        ok: exists,
        detail: exists
          ? `${topology.streamName}, ${topology.deadLetterStreamName}`
          : `missing ${topology.streamName} or ${topology.deadLetterStreamName}`,
      });
    } catch (error) {
      checks.push({ name: "streams", ok: false, detail: (error as Error).message });
    }
    return readinessOf(checks);
  };
}

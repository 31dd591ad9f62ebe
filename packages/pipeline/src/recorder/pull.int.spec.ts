import { describeWith, NATS_URL } from "@icm/testing";
import { AckPolicy, connect, type JsMsg, type NatsConnection, nanos } from "nats";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { deleteStreams, ensureStreams, type NatsTopology, testTopology } from "../nats/topology.js";
import { messagePuller } from "./pull.js";

const encoder = new TextEncoder();

await describeWith(["nats"], "pull requests on one inbox (the recorder's puller)", () => {
  let nc: NatsConnection;
  let topology: NatsTopology;
  const closers: (() => void)[] = [];

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
  });
  afterAll(async () => {
    await nc.close();
  });
  afterEach(async () => {
    for (const close of closers.splice(0)) close();
    await deleteStreams(await nc.jetstreamManager(), topology);
  });

  /** A fresh stream with `count` messages and a durable pull consumer on it; the puller and what it got. */
  async function setUp(count: number, consumer: { maxAckPending?: number } = {}) {
    topology = testTopology("pull");
    const jsm = await nc.jetstreamManager();
    await ensureStreams(jsm, topology);
    for (let i = 1; i <= count; i += 1) await publish(i);
    await jsm.consumers.add(topology.streamName, {
      durable_name: "puller",
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(30_000),
      ...(consumer.maxAckPending === undefined ? {} : { max_ack_pending: consumer.maxAckPending }),
    });
    const got: JsMsg[] = [];
    const puller = messagePuller(nc, topology.streamName, "puller", (message) => got.push(message));
    closers.push(() => puller.close());
    return { puller, got };
  }

  async function publish(i: number) {
    await nc.jetstream().publish(`${topology.subjectPrefix}.Test`, encoder.encode(`m${i}`));
  }

  it("ends a request when the batch is filled, and when the server lets it expire", async () => {
    const { puller, got } = await setUp(5);
    expect(await puller.pull(3, 1_000)).toEqual({ kind: "complete", delivered: 3 });
    expect(got.map((m) => m.seq)).toEqual([1, 2, 3]);
    // Two left: the server sends them, then ends the request at its expiry (408).
    expect(await puller.pull(10, 1_000)).toEqual({ kind: "expired", delivered: 2 });
    expect(got.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(got.every((m) => m.info.deliveryCount === 1)).toBe(true);
  });

  it("hands over what the server delivers into a request that waited at max_ack_pending", async () => {
    const { puller, got } = await setUp(4, { maxAckPending: 2 });
    expect(await puller.pull(2, 1_000)).toEqual({ kind: "complete", delivered: 2 });
    // The consumer is at max_ack_pending: the next request waits at the server until acks free room.
    const waiting = puller.pull(2, 2_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(got).toHaveLength(2);
    for (const message of got) message.ack();
    expect(await waiting).toEqual({ kind: "complete", delivered: 2 });
    expect(got.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    // Nothing was lost on the way: nothing is left pending at the server but these two unacked.
    await nc.flush();
    const info = await (await nc.jetstreamManager()).consumers.info(topology.streamName, "puller");
    expect(info.num_ack_pending).toBe(2);
    expect(info.num_pending).toBe(0);
  });
});

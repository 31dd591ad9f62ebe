import { makeEvent } from "@icm/events";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { batchMsgId, batchSubject, eventsOfMessage, messagesOf } from "./message.js";
import { testTopology } from "./topology.js";

const topology = testTopology("message");

function rep(id: string, note = "") {
  return makeEvent(
    "RepOnboarded",
    `rep-onboarded-${id}`,
    { repId: id, name: `Rep ${id}`, planCurrency: "USD", hireDate: "2026-01-05" },
    note === "" ? {} : { note },
  );
}

describe("event messages", () => {
  it("sends one event alone as before batches: its type's subject, its eventId, its canonical JSON", () => {
    const event = rep("R1");
    const [message, ...rest] = messagesOf(topology, [event], { maxMessageEvents: 100, maxMessageBytes: 1e6 });
    expect(rest).toEqual([]);
    expect(message).toMatchObject({ start: 0, end: 1, subject: `${topology.subjectPrefix}.RepOnboarded` });
    expect(message?.msgId).toBe(event.eventId);
    expect(eventsOfMessage(message?.body ?? new Uint8Array())).toEqual([event]);
  });

  it("cuts by events and by bytes; a single event over the byte bound goes alone", () => {
    const events = Array.from({ length: 7 }, (_, i) => rep(`R${i}`));
    const byCount = messagesOf(topology, events, { maxMessageEvents: 3, maxMessageBytes: 1e6 });
    expect(byCount.map((m) => [m.start, m.end])).toEqual([
      [0, 3],
      [3, 6],
      [6, 7],
    ]);
    expect(byCount.map((m) => m.subject)).toEqual([
      batchSubject(topology),
      batchSubject(topology),
      expect.any(String),
    ]);
    expect(byCount[0]?.msgId).toBe(batchMsgId(events.slice(0, 3).map((e) => e.eventId)));

    const big = rep("R-big", "x".repeat(5_000));
    const bySize = messagesOf(topology, [events[0], big, events[1], events[2]] as typeof events, {
      maxMessageEvents: 100,
      maxMessageBytes: 1_000,
    });
    expect(bySize.map((m) => [m.start, m.end])).toEqual([
      [0, 1],
      [1, 2],
      [2, 4],
    ]);
    for (const message of bySize.filter((m) => m.end - m.start > 1))
      expect(message.body.length).toBeLessThanOrEqual(1_000);
  });

  it("laws: the messages hold every event once, in order, within the bounds, and cutting is deterministic", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 10_000 }), fc.string({ maxLength: 300 })), {
          maxLength: 60,
        }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 4_000 }),
        (specs, maxMessageEvents, maxMessageBytes) => {
          const events = specs.map(([n, note], i) => rep(`R${i}-${n}`, note));
          const bounds = { maxMessageEvents, maxMessageBytes };
          const messages = messagesOf(topology, events, bounds);
          expect(messages.flatMap((m) => eventsOfMessage(m.body))).toEqual(events);
          let next = 0;
          for (const message of messages) {
            expect(message.start).toBe(next);
            next = message.end;
            const count = message.end - message.start;
            expect(count).toBeGreaterThanOrEqual(1);
            expect(count).toBeLessThanOrEqual(maxMessageEvents);
            // The byte bound covers the event texts and their commas; the brackets come on top.
            if (count > 1) expect(message.body.length).toBeLessThanOrEqual(maxMessageBytes + 1);
          }
          expect(next).toBe(events.length);
          expect(messagesOf(topology, events, bounds)).toEqual(messages);
        },
      ),
      { numRuns: 200 },
    );
  });
});

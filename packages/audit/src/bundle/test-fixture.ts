import {
  canonicalDigest,
  type DomainEvent,
  GENESIS_HASH,
  type JsonObject,
  makeEvent,
  streamIdFor,
} from "@icm/events";
import { merkleRoot } from "../merkle/merkle.js";
import { recordedEventHash } from "./chain.js";
import {
  AUDIT_BUNDLE_FORMAT,
  type AuditBundle,
  type PeriodClosedData,
  type RecordedEventLike,
} from "./types.js";

/**
 * Test support (imported by specs only): records domain events the way a store would — per-stream positions,
 * gapped global positions like a PostgreSQL sequence after rollbacks, and the hash chain — so the bundle code
 * is exercised on realistic logs without depending on @icm/event-store.
 */
export function recordLog(events: readonly DomainEvent[], positionGap = 2): RecordedEventLike[] {
  const streamPositions = new Map<string, number>();
  const recorded: RecordedEventLike[] = [];
  let prevHash = GENESIS_HASH;
  events.forEach((event, index) => {
    const streamId = streamIdFor(event);
    const streamPosition = (streamPositions.get(streamId) ?? 0) + 1;
    streamPositions.set(streamId, streamPosition);
    const base = {
      eventId: event.eventId,
      type: event.type,
      schemaVersion: event.schemaVersion,
      data: event.data as unknown as JsonObject,
      metadata: event.metadata as JsonObject,
      streamId,
      streamPosition,
      globalPosition: 1 + index * positionGap,
      prevHash,
    };
    const hash = recordedEventHash(prevHash, { ...base, hash: "" });
    recorded.push({ ...base, hash });
    prevHash = hash;
  });
  return recorded;
}

export function sampleHistory(): DomainEvent[] {
  return [
    makeEvent("CalendarConfigured", "cal-1", {
      timeZone: "America/New_York",
      fiscalYearStartMonth: 1,
      effectiveFrom: "2026-01-01",
    }),
    makeEvent("RepOnboarded", "rep-ana", {
      repId: "ana",
      name: "Ana Lima",
      planCurrency: "USD",
      hireDate: "2025-06-01",
    }),
    makeEvent("RepOnboarded", "rep-bo", {
      repId: "bo",
      name: "Bo Ström — Zürich 日本",
      planCurrency: "EUR",
      hireDate: "2025-09-01",
    }),
    makeEvent("QuotaSet", "quota-ana-q1", {
      repId: "ana",
      period: "2026-Q1",
      amount: "100000.00",
      currency: "USD",
    }),
    makeEvent(
      "DealClosed",
      "deal-1",
      {
        dealId: "D-1",
        amount: "120000.00",
        currency: "USD",
        closeDate: "2026-02-10",
        product: "platform",
        dealType: "new",
        splits: [
          { repId: "ana", share: "0.5" },
          { repId: "bo", share: "0.5" },
        ],
      },
      { source: "crm", correlationId: "import-7" },
    ),
    makeEvent("DealCancelled", "deal-1-cancel", {
      dealId: "D-1",
      cancelDate: "2026-03-01",
      reason: "customer churned",
    }),
  ];
}

type Statement = PeriodClosedData["statements"][number];

/**
 * A bundle for closing 2026-Q1 over `sampleHistory()`, with a valid chain head and, unless `merkleRootOf`
 * says otherwise, the Merkle root of its statements.
 */
export function sampleBundle(
  options: {
    extraStatements?: readonly Statement[];
    merkleRootOf?: (statements: Statement[]) => string;
  } = {},
): AuditBundle {
  const history = recordLog(sampleHistory());
  const last = history[history.length - 1] as RecordedEventLike;
  const statements = [
    { repId: "bo", currency: "EUR", payable: "0.00", digest: canonicalDigest({ rep: "bo" }) },
    { repId: "ana", currency: "USD", payable: "6000.00", digest: canonicalDigest({ rep: "ana" }) },
    ...(options.extraStatements ?? []),
  ];
  const close: PeriodClosedData = {
    period: "2026-Q1",
    throughPosition: last.globalPosition,
    chainHead: last.hash,
    planVersions: [{ planId: "ae-2026", version: 1 }],
    engineVersion: "0.1.0",
    statements,
    merkleRoot: (options.merkleRootOf ?? merkleRoot)(statements),
    closedBy: "finance@example.com",
  };
  const events = recordLog([...sampleHistory(), makeEvent("PeriodClosed", "close-2026-Q1", close)]);
  const head = events[events.length - 1] as RecordedEventLike;
  return {
    format: AUDIT_BUNDLE_FORMAT,
    close,
    closeEventId: "close-2026-Q1",
    chainHead: { globalPosition: head.globalPosition, hash: head.hash },
    events,
  };
}

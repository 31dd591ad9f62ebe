import type { DomainEvent } from "@icm/events";
import type { Prng } from "../random/prng.js";

/**
 * Schema-breaking variants of a valid event, for exercising the pipeline's validation and dead-letter
 * store (DOMAIN.md §2: a rejected event names the field and the rule). Each corruption breaks one rule, in
 * a field typical of what source systems get wrong; `field` says which, so a test can check that the
 * rejection names it.
 */
export interface Corruption {
  /** The path the validator should name, e.g. `data.amount`. */
  readonly field: string;
  readonly describe: string;
  readonly apply: (event: MutableEvent) => void;
}

interface MutableEvent {
  eventId: unknown;
  type: unknown;
  schemaVersion: unknown;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

/** A corruption that replaces one data field with a value computed from the event. */
function dataField(
  key: string,
  describe: string,
  value: (data: Record<string, unknown>) => unknown,
): Corruption {
  return {
    field: `data.${key}`,
    describe,
    apply: (event) => {
      event.data[key] = value(event.data);
    },
  };
}

const ENVELOPE: readonly Corruption[] = [
  {
    field: "eventId",
    describe: "event id with a space",
    apply: (event) => {
      event.eventId = `${String(event.eventId)} copy`;
    },
  },
  {
    field: "schemaVersion",
    describe: "schema version 0",
    apply: (event) => {
      event.schemaVersion = 0;
    },
  },
  {
    field: "type",
    describe: "unknown event type",
    apply: (event) => {
      event.type = `${String(event.type)}V9`;
    },
  },
  // zod reports an unexpected key on the object that holds it, hence the field "data".
  {
    field: "data",
    describe: "unexpected field importedBy",
    apply: (event) => {
      event.data.importedBy = "legacy-sync";
    },
  },
  {
    field: "metadata.retryDelay",
    describe: "float in metadata",
    apply: (event) => {
      event.metadata = { ...event.metadata, retryDelay: 1.5 };
    },
  },
];

const BY_TYPE: Readonly<Record<string, readonly Corruption[]>> = {
  DealClosed: [
    dataField("amount", "thousands separator", () => "12,500.00"),
    dataField("amount", "negative amount", (data) => `-${String(data.amount)}`),
    dataField("amount", "amount as a float", () => 1999.99),
    dataField("currency", "lower-case currency", (data) => String(data.currency).toLowerCase()),
    dataField("closeDate", "impossible date", () => "2026-02-30"),
    dataField("splits", "no splits", () => []),
    {
      field: "data.splits[0].share",
      describe: "share above 1",
      apply: (event) => {
        const [first] = event.data.splits as Record<string, unknown>[];
        event.data.splits = [{ ...first, share: "1.5" }];
      },
    },
    {
      field: "data.product",
      describe: "missing product",
      apply: (event) => {
        delete event.data.product;
      },
    },
  ],
  DealCancelled: [
    dataField("reason", "empty reason", () => ""),
    dataField("cancelDate", "day-first date", () => "31/03/2026"),
  ],
  PaymentReceived: [
    dataField("amount", "amount as a number", () => 1200.5),
    dataField("currency", "unknown currency", () => "XXX"),
  ],
  FxRatePublished: [
    dataField("rate", "zero rate", () => "0"),
    dataField("quote", "base equals quote", (data) => data.base),
  ],
  QuotaSet: [dataField("period", "fifth quarter", () => "2026-Q5")],
  RepOnboarded: [
    dataField("hireDate", "thirteenth month", () => "2026-13-01"),
    dataField("name", "empty name", () => ""),
  ],
  AdjustmentRecorded: [dataField("countsTowardQuota", "yes as text", () => "yes")],
};

export interface CorruptedEvent {
  readonly event: DomainEvent;
  readonly field: string;
  readonly describe: string;
}

/**
 * A corrupted deep copy of `event` with its own id (`<id>-invalid`, unless the corruption is the id), so
 * the valid original stays in the history: injection adds bad input, it never removes good input.
 */
export function corrupt(prng: Prng, event: DomainEvent): CorruptedEvent {
  const choices = [...ENVELOPE, ...(BY_TYPE[event.type] ?? [])];
  const corruption = prng.pick(choices);
  const copy = structuredClone(event) as unknown as MutableEvent;
  copy.eventId = `${event.eventId}-invalid`;
  corruption.apply(copy);
  return { event: copy as unknown as DomainEvent, field: corruption.field, describe: corruption.describe };
}

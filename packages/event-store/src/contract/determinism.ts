import type { JsonObject } from "@icm/events";
import { fixedClock } from "../memory/clock.js";
import { createInMemoryEventStore } from "../memory/in-memory-store.js";
import { isExpectedVersionConflict } from "../port/errors.js";
import type { EventStore, EventToAppend, ExpectedRevision } from "../port/types.js";
import { NO_CONCURRENCY_CHECK, STREAM_DOES_NOT_EXIST, STREAM_EXISTS } from "../port/types.js";
import { readAllEvents } from "./harness.js";

interface ScriptStep {
  readonly streamId: string;
  readonly expected: ExpectedRevision;
  readonly events: readonly EventToAppend[];
  /** Steps that must be refused (a stale writer); the script checks that they are. */
  readonly conflicts?: true;
}

const event = (
  eventId: string,
  type: string,
  data: JsonObject,
  metadata: JsonObject = {},
): EventToAppend => ({
  eventId,
  type,
  schemaVersion: 1,
  data,
  metadata,
});

/** A two-event batch on one stream; the script appends it once, then retries it byte for byte. */
const DEAL_BATCH: readonly EventToAppend[] = [
  event(
    "det-2",
    "DealClosed",
    {
      dealId: "d1",
      amount: "1250.00",
      currency: "EUR",
      closeDate: "2026-03-15",
      product: "widgets",
      dealType: "new",
      splits: [
        { repId: "r1", share: "0.6" },
        { repId: "r2", share: "0.4" },
      ],
    },
    { source: "crm", correlationId: "c-1" },
  ),
  event("det-3", "PaymentReceived", {
    paymentId: "p1",
    dealId: "d1",
    amount: "625.005",
    currency: "EUR",
    receivedDate: "2026-04-01",
  }),
];

/**
 * A fixed command script (contract behaviour 22): interleaved streams, a multi-event batch, a refused stale
 * write, an idempotent retry, unicode, decimals and big integers as strings. Ids are fixed, so every adapter
 * must produce byte-identical hash chains.
 */
export const DETERMINISM_SCRIPT: readonly ScriptStep[] = [
  {
    streamId: "rep-r1",
    expected: STREAM_DOES_NOT_EXIST,
    events: [
      event("det-1", "RepOnboarded", {
        repId: "r1",
        name: "Zoë Ångström",
        planCurrency: "EUR",
        hireDate: "2026-01-05",
      }),
    ],
  },
  {
    streamId: "deal-d1",
    expected: STREAM_DOES_NOT_EXIST,
    events: DEAL_BATCH,
  },
  {
    streamId: "rep-r1",
    expected: 0,
    conflicts: true,
    events: [event("det-stale", "RepTerminated", { repId: "r1", terminationDate: "2026-05-01" })],
  },
  {
    streamId: "fx-EUR-USD",
    expected: NO_CONCURRENCY_CHECK,
    events: [
      event("det-4", "FxRatePublished", {
        base: "EUR",
        quote: "USD",
        rate: "1.0837000000000000001",
        effectiveDate: "2026-03-01",
      }),
    ],
  },
  {
    streamId: "deal-d1",
    expected: STREAM_EXISTS,
    events: [
      event("det-5", "DealAmended", {
        dealId: "d1",
        amount: "99999999999999999999999.99",
        reason: "日本語 ✓ emoji 🚀",
      }),
    ],
  },
  // An idempotent retry of step 2: must change nothing.
  {
    streamId: "deal-d1",
    expected: STREAM_DOES_NOT_EXIST,
    events: DEAL_BATCH,
  },
  {
    streamId: "rep-r1",
    expected: 1,
    events: [
      event("det-6", "AdjustmentRecorded", {
        adjustmentId: "a1",
        repId: "r1",
        period: "2026-03",
        amount: "-12.50",
        currency: "EUR",
        reason: "quota relief",
        author: "finance",
        countsTowardQuota: false,
        ledgerSequence: "18446744073709551617",
        nested: { empty: {}, list: [], flags: [true, false, null], count: 9007199254740991 },
      }),
    ],
  },
];

/**
 * The head hash of DETERMINISM_SCRIPT, pinned. Chain heads are written into PeriodClosed events, so a change
 * to hashing or canonical encoding would make every stored log unverifiable: if this constant has to
 * change, that is a breaking change of the ledger format and needs a migration story, not a new number.
 */
export const DETERMINISM_HEAD_HASH = "1adecc2ac3cdedf595e8fb8b59795cc0c9c7e4adaee2a6b73df02a4a3b2970e4";

export interface ScriptOutcome {
  /** Every event's chain hash, in global order. */
  readonly hashes: readonly string[];
  readonly headHash: string;
}

/** Runs the script on an EMPTY store and returns its hash sequence. */
export async function runDeterminismScript(store: EventStore): Promise<ScriptOutcome> {
  for (const [index, step] of DETERMINISM_SCRIPT.entries()) {
    try {
      await store.append(step.streamId, step.events, step.expected);
      if (step.conflicts) throw new Error(`script step ${index} should have conflicted`);
    } catch (error) {
      if (!step.conflicts || !isExpectedVersionConflict(error)) throw error;
    }
  }
  const events = await readAllEvents(store);
  const head = await store.head();
  return { hashes: events.map((e) => e.hash), headHash: head.hash };
}

/** The reference outcome, computed by the in-memory store (the clock is irrelevant: it is not hashed). */
export async function expectedDeterminismOutcome(): Promise<ScriptOutcome> {
  const store = createInMemoryEventStore({ clock: fixedClock("2026-01-01T00:00:00.000Z") });
  try {
    return await runDeterminismScript(store);
  } finally {
    await store.close();
  }
}

import type { EventData, JsonObject } from "@icm/events";

/** The format tag of the first line of every bundle; a new layout gets a new tag, never a silent change. */
export const AUDIT_BUNDLE_FORMAT = "icm-audit-bundle/1" as const;

/**
 * A recorded event as an auditor receives it: the store's RecordedEvent without `recordedAt`. The store's
 * clock time is not covered by the hash chain and enters no calculation, and leaving it out makes two
 * exports of the same log byte-identical.
 */
export interface RecordedEventLike {
  readonly eventId: string;
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: JsonObject;
  readonly metadata: JsonObject;
  readonly streamId: string;
  readonly streamPosition: number;
  readonly globalPosition: number;
  readonly prevHash: string;
  readonly hash: string;
}

/** A link of the chain: the store's ChainHead shape. Position 0 with GENESIS_HASH is the empty log. */
export interface BundleChainHead {
  readonly globalPosition: number;
  readonly hash: string;
}

export type PeriodClosedData = EventData["PeriodClosed"];

/** The first line of a bundle: everything but the events. */
export interface AuditBundleHeader {
  readonly format: typeof AUDIT_BUNDLE_FORMAT;
  /** The `PeriodClosed` body being audited. */
  readonly close: PeriodClosedData;
  /** The event id of that `PeriodClosed` event, which is itself one of the bundle's events. */
  readonly closeEventId: string;
  /**
   * The link of the bundle's LAST event (the head of the log when it was exported). The events must end
   * exactly here, which is how a truncated bundle is detected without a count known in advance.
   */
  readonly chainHead: BundleChainHead;
}

/** Everything an auditor needs to re-check a close offline: the log from genesis and the close itself. */
export interface AuditBundle extends AuditBundleHeader {
  readonly events: readonly RecordedEventLike[];
}

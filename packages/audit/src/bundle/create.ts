import { schemas } from "@icm/events";
import {
  AUDIT_BUNDLE_FORMAT,
  type AuditBundle,
  type AuditBundleHeader,
  type RecordedEventLike,
} from "./types.js";

/**
 * The header for a bundle of `events` (from genesis, in global order) that audits the close recorded as
 * `closeEvent`. The chain head is the last event's link. Throws if the close event's body is not a valid
 * PeriodClosed: a bundle is never built around something that is not a close.
 */
export function bundleHeader(
  closeEvent: RecordedEventLike,
  lastEvent: RecordedEventLike | undefined,
): AuditBundleHeader {
  if (closeEvent.type !== "PeriodClosed") {
    throw new TypeError(`event ${closeEvent.eventId} is a ${closeEvent.type}, not a PeriodClosed`);
  }
  const close = schemas.PeriodClosed.parse(closeEvent.data);
  const head = lastEvent ?? closeEvent;
  return {
    format: AUDIT_BUNDLE_FORMAT,
    close,
    closeEventId: closeEvent.eventId,
    chainHead: { globalPosition: head.globalPosition, hash: head.hash },
  };
}

/**
 * A bundle over recorded events (the store's RecordedEvent works as is; fields outside the bundle format,
 * such as recordedAt, are dropped) for the close with event id `closeEventId`.
 */
export function createBundle(events: readonly RecordedEventLike[], closeEventId: string): AuditBundle {
  const closeEvent = events.find((event) => event.eventId === closeEventId);
  if (closeEvent === undefined) throw new RangeError(`event ${closeEventId} is not among the events`);
  const copies = events.map((event) => ({
    eventId: event.eventId,
    type: event.type,
    schemaVersion: event.schemaVersion,
    data: event.data,
    metadata: event.metadata,
    streamId: event.streamId,
    streamPosition: event.streamPosition,
    globalPosition: event.globalPosition,
    prevHash: event.prevHash,
    hash: event.hash,
  }));
  return { ...bundleHeader(closeEvent, events[events.length - 1]), events: copies };
}

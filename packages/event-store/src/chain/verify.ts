import { GENESIS_HASH, recordedChainHash } from "@icm/events";
import type { ChainHead, ChainVerification, ReadAllOptions, ReadAllPage } from "../port/types.js";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "../port/types.js";

/** Any adapter's `readAll`, bound to its store. */
export type ReadAllFn = (options: ReadAllOptions) => Promise<ReadAllPage>;

export interface VerifyChainOptions {
  /** Last global position to check (inclusive). Default: the whole log. */
  readonly to?: number;
  /**
   * A link already trusted (e.g. a previous verification's head or a PeriodClosed chainHead): verification
   * starts right after it, so a caller can re-check only the new suffix. Default: the genesis.
   */
  readonly start?: ChainHead;
  readonly pageSize?: number;
  /** Bound on pages read; a log longer than pageSize * maxPages is an error, never an endless loop. */
  readonly maxPages?: number;
}

const DEFAULT_MAX_PAGES = 10_000_000;

/**
 * Walks the log page by page (memory stays bounded by one page) and recomputes every link:
 * - global positions strictly increase (else `order_violation`);
 * - an event's stored prevHash equals the previous event's stored hash (else `prev_hash_mismatch`: a
 *   deleted or reordered row shows up here, at the row after the gap);
 * - the stored hash equals SHA-256(prevHash ‖ canonical content) (else `hash_mismatch`: an edited row).
 * Reports the FIRST failing global position, so an auditor knows from where the log cannot be trusted.
 */
export async function verifyChainFrom(
  readAll: ReadAllFn,
  options: VerifyChainOptions = {},
): Promise<ChainVerification> {
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    throw new RangeError(`pageSize must be 1..${MAX_PAGE_SIZE}, got ${pageSize}`);
  }
  const to = options.to ?? Number.POSITIVE_INFINITY;
  const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
  let previousHash = options.start?.hash ?? GENESIS_HASH;
  let previousPosition = options.start?.globalPosition ?? 0;
  let after = previousPosition;
  let checked = 0;
  for (let pages = 0; pages < maxPages; pages += 1) {
    const page = await readAll({ after, limit: pageSize });
    for (const event of page.events) {
      if (event.globalPosition > to)
        return { ok: true, checked, head: { globalPosition: previousPosition, hash: previousHash } };
      if (!(event.globalPosition > previousPosition)) {
        return {
          ok: false,
          checked,
          position: event.globalPosition,
          reason: "order_violation",
          expected: `a position after ${previousPosition}`,
          found: String(event.globalPosition),
        };
      }
      if (event.prevHash !== previousHash) {
        return {
          ok: false,
          checked,
          position: event.globalPosition,
          reason: "prev_hash_mismatch",
          expected: previousHash,
          found: event.prevHash,
        };
      }
      // Over the stored texts when the store attached them (recordedChainHash), else the canonical encoding.
      const recomputed = recordedChainHash(event.prevHash, event, event.hash);
      if (recomputed !== event.hash) {
        return {
          ok: false,
          checked,
          position: event.globalPosition,
          reason: "hash_mismatch",
          expected: recomputed,
          found: event.hash,
        };
      }
      previousHash = event.hash;
      previousPosition = event.globalPosition;
      checked += 1;
    }
    if (page.isEnd || page.checkpoint >= to) {
      return { ok: true, checked, head: { globalPosition: previousPosition, hash: previousHash } };
    }
    // A page that does not move forward would loop for ever: the store is broken, say so.
    if (page.checkpoint <= after) {
      return {
        ok: false,
        checked,
        position: page.checkpoint,
        reason: "order_violation",
        expected: `a checkpoint after ${after}`,
        found: String(page.checkpoint),
      };
    }
    after = page.checkpoint;
  }
  throw new RangeError(
    `verifyChainFrom read more than ${maxPages} pages; raise maxPages for a log this long`,
  );
}

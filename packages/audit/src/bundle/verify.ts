import { canonicalJson, GENESIS_HASH } from "@icm/events";
import { merkleRoot } from "../merkle/merkle.js";
import { type BundleChainVerification, ChainVerifier } from "./chain.js";
import { BundleFormatError, type BundleItem, decodeBundleStream } from "./codec.js";
import type { AuditBundleHeader, RecordedEventLike } from "./types.js";

/**
 * What an auditor can check from a bundle alone, without the engine: that the log is an unbroken chain,
 * that the close points at a real link of it, that the close event is in the log with this exact body, and
 * that the close's Merkle root covers exactly its statement digests. Recomputing the statements themselves
 * (and comparing digests) needs the engine and is done by the close-verification feature on top of this.
 */
export type BundleCheck = "chain" | "chain_head" | "close_position" | "close_event" | "merkle_root";

export interface BundleFinding {
  readonly check: BundleCheck;
  readonly detail: string;
}

export type BundleVerification =
  | { readonly ok: true; readonly checked: number; readonly chain: BundleChainVerification }
  | {
      readonly ok: false;
      readonly findings: readonly BundleFinding[];
      readonly chain: BundleChainVerification;
    };

/**
 * Verifies a bundle one event at a time (constant memory, so a streamed bundle of any size works). Feed
 * the events in order with `push`, then read `result()`: every failed check is reported, the chain's first
 * broken position included.
 */
export class BundleVerifier {
  private readonly chain = new ChainVerifier();
  private hashAtClosePosition: string | undefined;
  private closeEvent: RecordedEventLike | undefined;
  private closeEventCount = 0;

  constructor(private readonly header: AuditBundleHeader) {
    this.hashAtClosePosition = header.close.throughPosition === 0 ? GENESIS_HASH : undefined;
  }

  /** Checks the next event; returns false once the chain is broken (later events are not looked at). */
  push(event: RecordedEventLike): boolean {
    if (!this.chain.push(event)) return false;
    if (event.globalPosition === this.header.close.throughPosition) this.hashAtClosePosition = event.hash;
    if (event.eventId === this.header.closeEventId) {
      this.closeEvent = event;
      this.closeEventCount += 1;
    }
    return true;
  }

  result(): BundleVerification {
    const { header } = this;
    const { close } = header;
    const chain = this.chain.result();
    const findings: BundleFinding[] = [];
    if (!chain.ok) {
      findings.push({
        check: "chain",
        detail: `link broken at global position ${chain.position} (${chain.reason}): expected ${chain.expected}, found ${chain.found}`,
      });
    } else {
      const { head } = chain;
      if (head.globalPosition !== header.chainHead.globalPosition || head.hash !== header.chainHead.hash) {
        findings.push({
          check: "chain_head",
          detail: `events end at ${head.globalPosition}/${head.hash}, header says ${header.chainHead.globalPosition}/${header.chainHead.hash}`,
        });
      }
      if (this.hashAtClosePosition === undefined) {
        findings.push({
          check: "close_position",
          detail: `no event at the close's position ${close.throughPosition}`,
        });
      } else if (this.hashAtClosePosition !== close.chainHead) {
        findings.push({
          check: "close_position",
          detail: `hash at position ${close.throughPosition} is ${this.hashAtClosePosition}, the close says ${close.chainHead}`,
        });
      }
      const closeEventFinding = this.checkCloseEvent();
      if (closeEventFinding !== undefined) findings.push({ check: "close_event", detail: closeEventFinding });
    }
    const rootFinding = checkMerkleRoot(header);
    if (rootFinding !== undefined) findings.push({ check: "merkle_root", detail: rootFinding });
    if (findings.length > 0) return { ok: false, findings, chain };
    return { ok: true, checked: chain.ok ? chain.checked : 0, chain };
  }

  private checkCloseEvent(): string | undefined {
    const { closeEventId, close } = this.header;
    const event = this.closeEvent;
    if (event === undefined) return `event ${closeEventId} is not in the bundle`;
    if (this.closeEventCount > 1) return `event ${closeEventId} appears ${this.closeEventCount} times`;
    if (event.type !== "PeriodClosed") return `event ${closeEventId} is a ${event.type}`;
    if (canonicalJson(event.data) !== canonicalJson(close))
      return `event ${closeEventId} has a different PeriodClosed body`;
    if (event.globalPosition <= close.throughPosition) {
      return `the close event at ${event.globalPosition} cannot be computed through ${close.throughPosition}`;
    }
    return undefined;
  }
}

function checkMerkleRoot(header: AuditBundleHeader): string | undefined {
  const { close } = header;
  let root: string;
  try {
    root = merkleRoot(close.statements.map((s) => ({ repId: s.repId, digest: s.digest })));
  } catch (error) {
    // A close listing one rep twice has no Merkle root at all.
    return (error as Error).message;
  }
  return root === close.merkleRoot
    ? undefined
    : `statements give root ${root}, the close says ${close.merkleRoot}`;
}

/** Verifies a bundle held as a header and any iterable of events. */
export function verifyBundle(
  header: AuditBundleHeader,
  events: Iterable<RecordedEventLike>,
): BundleVerification {
  const verifier = new BundleVerifier(header);
  for (const event of events) {
    if (!verifier.push(event)) break;
  }
  return verifier.result();
}

/**
 * Decodes and verifies a bundle from a stream of chunks (a file, an HTTP body) in one pass and constant
 * memory. A malformed bundle throws BundleFormatError; a well-formed one that fails a check is reported.
 */
export async function verifyBundleStream(
  chunks: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>,
  options: { readonly maxLineChars?: number } = {},
): Promise<BundleVerification> {
  let verifier: BundleVerifier | undefined;
  let broken = false;
  for await (const item of decodeBundleStream(chunks, options) as AsyncIterable<BundleItem>) {
    if (item.kind === "header") verifier = new BundleVerifier(item.header);
    else if (!broken) broken = !(verifier as BundleVerifier).push(item.event);
  }
  if (verifier === undefined) throw new BundleFormatError(1, "$", "a bundle starts with a header line");
  return verifier.result();
}

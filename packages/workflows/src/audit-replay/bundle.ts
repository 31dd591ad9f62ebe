import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import type { Writable } from "node:stream";
import {
  AUDIT_BUNDLE_FORMAT,
  type AuditBundleHeader,
  BundleFormatError,
  decodeBundleStream,
  encodeBundleEvent,
  encodeBundleHeader,
  type RecordedEventLike,
  verifyBundle as verifyBundleStructure,
} from "@icm/audit";
import { replayClose, type VerifyFinding, type VerifyReport } from "./replay.js";

/** Writes text to a stream, honouring back-pressure. */
async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, "drain");
}

/**
 * Writes an audit bundle (JSON Lines, @icm/audit format): the header with the close, then every recorded
 * event from genesis to the head in global order — plans, FX rates, quotas, deals and every close are all
 * in the log, so the bundle is everything an auditor needs, with no store.
 */
export async function writeBundle(
  header: AuditBundleHeader,
  events: AsyncIterable<RecordedEventLike>,
  out: Writable | string,
): Promise<void> {
  const stream = typeof out === "string" ? createWriteStream(out, { encoding: "utf8" }) : out;
  await write(stream, `${encodeBundleHeader(header)}\n`);
  for await (const event of events) await write(stream, `${encodeBundleEvent(event)}\n`);
  if (typeof out === "string") {
    stream.end();
    await once(stream, "finish");
  }
}

/**
 * Verifies a bundle file on its own (another machine, no store): the structural checks of @icm/audit (chain,
 * chain head, close position, close event, Merkle root), then a replay of the events through the close's
 * position in a fresh engine, comparing every statement digest.
 */
export async function verifyBundleFile(path: string): Promise<VerifyReport> {
  let header: AuditBundleHeader | undefined;
  const events: RecordedEventLike[] = [];
  for await (const item of decodeBundleStream(createReadStream(path))) {
    if (item.kind === "header") header = item.header;
    else events.push(item.event);
  }
  if (header === undefined || header.format !== AUDIT_BUNDLE_FORMAT)
    throw new BundleFormatError(1, "$", "a bundle starts with a header line");
  const structure = verifyBundleStructure(header, events);
  const closeEvent = events.find((e) => e.eventId === header?.closeEventId);
  const report = replayClose({
    close: header.close,
    closeEventId: header.closeEventId,
    closePosition: closeEvent?.globalPosition ?? 0,
    events,
  });
  if (structure.ok) return report;
  // The replay already reports the chain and the root; keep the structural findings it cannot see.
  const extra: VerifyFinding[] = structure.findings
    .filter(
      (f) =>
        !(["chain", "merkle_root"] as string[]).includes(f.check) ||
        !report.findings.some((g) => g.check === f.check),
    )
    .map((f) => ({
      check:
        f.check === "chain" || f.check === "chain_head" || f.check === "merkle_root" ? f.check : "bundle",
      detail: f.detail,
      ...(structure.chain.ok ? {} : { position: structure.chain.position }),
    }));
  const seen = new Set(report.findings.map((f) => f.detail));
  const findings = [...report.findings, ...extra.filter((f) => !seen.has(f.detail))];
  return {
    ...report,
    status: "diverged",
    ...(report.brokenAt === undefined && !structure.chain.ok ? { brokenAt: structure.chain.position } : {}),
    findings,
  };
}

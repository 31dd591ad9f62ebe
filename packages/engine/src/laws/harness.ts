import { type DomainEvent, makeEvent, parseEventOrThrow } from "@icm/events";
import { DEFAULT_CALENDAR, nextPeriod, periodContaining } from "../calendar/index.js";
import { Engine, type EngineOptions } from "../engine/index.js";
import type { RecordedDomainEvent } from "../facts/index.js";
import { statementDigest } from "../statement/index.js";
import type { Organisation } from "./organisation.js";

/** Positions 1..n in the given order. */
export function record(events: readonly DomainEvent[], from = 1): RecordedDomainEvent[] {
  return events.map((event, i) => ({ globalPosition: from + i, event }));
}

export function engineOf(log: readonly RecordedDomainEvent[], options: EngineOptions = {}): Engine {
  const engine = new Engine(options);
  engine.applyAll(log);
  return engine;
}

/** The payout periods a law looks at: the plan's kind, from January 2026 through December 2026. */
export function horizon(org: Organisation): string[] {
  const kind = org.plan.payoutPeriod;
  const out: string[] = [];
  for (
    let p = periodContaining(DEFAULT_CALENDAR, kind, "2026-01-01");
    p.start <= "2026-12-31";
    p = nextPeriod(DEFAULT_CALENDAR, p)
  )
    out.push(p.id);
  return out;
}

/** Every rep's statement digest for every period of the horizon, keyed "rep period". */
export function digests(engine: Engine, org: Organisation, throughPosition?: number): Record<string, string> {
  const out: Record<string, string> = {};
  const options = throughPosition === undefined ? {} : { throughPosition };
  for (const repId of org.repIds)
    for (const period of horizon(org))
      out[`${repId} ${period}`] = statementDigest(engine.statement(repId, period, options));
  return out;
}

/** A PeriodClosed built the way the close service builds it, from the engine's close manifest. */
export function closeEvent(engine: Engine, period: string, eventId: string): DomainEvent {
  const manifest = engine.closeManifest(period);
  return parseEventOrThrow(
    makeEvent("PeriodClosed", eventId, {
      period,
      throughPosition: manifest.throughPosition,
      chainHead: "0".repeat(64),
      planVersions: [...manifest.planVersions],
      engineVersion: manifest.engineVersion,
      statements: [...manifest.statements],
      merkleRoot: "0".repeat(64),
      closedBy: "laws",
    }),
  );
}

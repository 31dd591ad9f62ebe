import { type EventData, type EventType, makeEvent, parseEventOrThrow } from "@icm/events";
import { Engine } from "../engine/index.js";
import type { RecordedDomainEvent } from "../facts/index.js";
import type { PlanDefinition } from "../plan/index.js";

const ZERO_HASH = "0".repeat(64);

/**
 * A test log: builds real, schema-validated events with consecutive positions and feeds them to an Engine.
 * Not a mock: every event goes through parseEvent exactly like one read back from the store.
 */
export class Scenario {
  readonly engine = new Engine();
  readonly log: RecordedDomainEvent[] = [];

  add<T extends EventType>(type: T, eventId: string, data: EventData[T]): RecordedDomainEvent {
    const event = parseEventOrThrow(makeEvent(type, eventId, data));
    const recorded = { globalPosition: this.log.length + 1, event };
    this.log.push(recorded);
    this.engine.apply(recorded);
    return recorded;
  }

  get position(): number {
    return this.log.length;
  }

  rep(repId: string, hireDate = "2025-01-01", planCurrency = "USD", managerId?: string): void {
    this.add("RepOnboarded", `onboard-${repId}`, {
      repId,
      name: `Rep ${repId}`,
      planCurrency,
      hireDate,
      ...(managerId === undefined ? {} : { managerId }),
    });
  }

  plan(planId: string, definition: PlanDefinition, version = 1): void {
    this.add("PlanVersionPublished", `plan-${planId}-v${version}`, {
      planId,
      version,
      name: `Plan ${planId}`,
      definition: definition as unknown as Record<string, unknown>,
    });
  }

  assign(repId: string, planId: string, effectiveFrom = "2025-01-01", version = 1): void {
    this.add("PlanAssigned", `assign-${repId}-${planId}-v${version}-${effectiveFrom}`, {
      repId,
      planId,
      version,
      effectiveFrom,
    });
  }

  quota(repId: string, period: string, amount: string, currency = "USD"): void {
    this.add("QuotaSet", `quota-${repId}-${period}-${this.position + 1}`, {
      repId,
      period,
      amount,
      currency,
    });
  }

  deal(
    dealId: string,
    amount: string,
    closeDate: string,
    splits: { repId: string; share: string }[],
    currency = "USD",
  ): void {
    this.add("DealClosed", `deal-${dealId}`, {
      dealId,
      amount,
      currency,
      closeDate,
      product: "Widget",
      dealType: "new",
      splits,
    });
  }

  /** Closes a period the way the close service does: through the current position, with every statement's digest. */
  close(period: string): RecordedDomainEvent {
    const manifest = this.engine.closeManifest(period);
    return this.add("PeriodClosed", `close-${period}-${this.position + 1}`, {
      period,
      throughPosition: manifest.throughPosition,
      chainHead: ZERO_HASH,
      planVersions: [...manifest.planVersions],
      engineVersion: manifest.engineVersion,
      statements: [...manifest.statements],
      merkleRoot: ZERO_HASH,
      closedBy: "finance@example.com",
    });
  }
}

import { describe } from "vitest";
import { declareAppendBehaviours } from "./append-behaviours.js";
import { declareAppendManyBehaviours } from "./append-many-behaviours.js";
import { type ContractFactory, type HarnessPowers, probePowers } from "./harness.js";
import { declareIntegrityBehaviours } from "./integrity-behaviours.js";
import { declareContractLaws } from "./laws.js";
import { declareReadBehaviours } from "./read-behaviours.js";
import { declareSubscriptionBehaviours } from "./subscription-behaviours.js";

export { equivalenceProperty } from "./append-many-behaviours.js";
export * from "./determinism.js";
export * from "./harness.js";
export { appendLawProperty } from "./laws.js";

/**
 * The one event-store contract (EVENT-STORE-CONTRACT.md), declared as vitest blocks. Every adapter's spec
 * calls it with a factory returning a harness around an EMPTY store with a fixed clock:
 *
 *   runEventStoreContract("PostgreSQL", async () => ({ store, tamper, dropConnections, cleanup }));
 *
 * Each test title starts with its behaviour number. A behaviour needing a power the harness lacks is
 * declared with it.skip and a title naming the missing power, never left out. The powers are learnt by
 * building one harness while the suite is collected (and cleaning it up at once).
 */
export function runEventStoreContract(name: string, factory: ContractFactory): void {
  describe(`event-store contract: ${name}`, async () => {
    const powers: HarnessPowers = await probePowers(factory);
    declareAppendBehaviours(factory);
    declareAppendManyBehaviours(factory);
    declareReadBehaviours(factory);
    declareSubscriptionBehaviours(factory, powers);
    declareIntegrityBehaviours(factory, powers);
    declareContractLaws(factory);
  });
}

export { SHARE_PATTERNS } from "./deals/deals.js";
export { type FxCadence, SUPPORTED_CURRENCIES } from "./fx/fx.js";
export * from "./generate/index.js";
export type { ManagerChange, Termination } from "./org/org.js";
export { PLAN_IDS, type ScenarioPlanVersion, scenarioPlans } from "./plans/plans.js";
export { Prng, substream } from "./random/prng.js";
export { quarterSpan } from "./time/dates.js";

export type { InjectedDuplicate, InjectedInvalid, QuarterClose } from "./emitter.js";
export { DEFAULT_CURRENCIES, MAX_DEALS, MAX_QUARTERS, MAX_REPS, type ScenarioOptions } from "./options.js";
export {
  generateScenario,
  type LateDeal,
  type Scenario,
  type ScenarioSummary,
  scenarioEvents,
} from "./scenario.js";

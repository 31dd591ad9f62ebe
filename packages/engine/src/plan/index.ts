export { COMPONENT_KINDS } from "./components.js";
export { COMPLETE_EXAMPLE_PLAN, SECTION_8_PLAN } from "./examples.js";
export { PlanDefinitionSchema, parsePlanDefinition, planVersionOf, validateEvent } from "./schema.js";
export type * from "./types.js";

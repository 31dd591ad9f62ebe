export { allocateLargestRemainder } from "./allocation.js";
export { type Assignment, PlanAssignments } from "./assignments.js";
export { convertAmount, type FxQuote, FxRates } from "./fx.js";
export { MAX_CHAIN_DEPTH, ManagerHierarchy } from "./hierarchy.js";
export { prorateQuota } from "./proration.js";

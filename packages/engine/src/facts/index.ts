export {
  type CompiledBand,
  type CompiledBonus,
  type CompiledCap,
  type CompiledComponent,
  type CompiledDraw,
  type CompiledFilter,
  type CompiledOverlay,
  type CompiledPlan,
  type CompiledRateTable,
  type CompiledSpiff,
  compilePlan,
  percentText,
} from "./compiled-plan.js";
export { Facts, type PlanLookup, type PlanSegment, type PublishedPlan } from "./facts.js";
export { SharedValues } from "./shared-values.js";
export type {
  AdjustmentFact,
  AffectedQuotaPeriod,
  CloseFact,
  DealSplit,
  DealState,
  DisputeFact,
  PaymentFact,
  QuotaFact,
  RecordedDomainEvent,
  RepInfo,
  SourceRef,
} from "./types.js";

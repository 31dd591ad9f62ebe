export { computeEarnings } from "./compute.js";
export { periodExceptions } from "./period-exceptions.js";
export { drawComponentFor } from "./plan-lookups.js";
export { quotaPeriodsOf } from "./quota-periods.js";
export type { EarningsRequest, QuotaPeriodEarnings } from "./types.js";

/** Recorded in every PeriodClosed: which engine produced the closed statements. */
export const ENGINE_VERSION = "icm-engine/0.1.0";

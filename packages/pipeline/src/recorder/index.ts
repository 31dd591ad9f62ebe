export * from "./limits.js";
export * from "./record.js";
export * from "./recorder.js";

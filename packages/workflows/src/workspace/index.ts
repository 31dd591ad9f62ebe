export * from "./errors.js";
export * from "./heap-growth.js";
export * from "./log.js";
export * from "./store-spec.js";
export * from "./workspace.js";

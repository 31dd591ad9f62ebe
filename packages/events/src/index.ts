export * from "./canonical/index.js";
export * from "./envelope/index.js";
export * from "./hash/index.js";
export * from "./money/index.js";
export * from "./schemas/index.js";
export * from "./upcast/index.js";

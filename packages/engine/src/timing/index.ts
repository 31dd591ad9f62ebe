export * from "./collection.js";
export * from "./holdback.js";
export * from "./timing.js";
export * from "./types.js";

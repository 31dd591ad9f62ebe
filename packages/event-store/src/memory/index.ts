export * from "./clock.js";
export * from "./in-memory-store.js";

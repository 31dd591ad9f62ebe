export * from "./as-of.js";
export * from "./diff.js";

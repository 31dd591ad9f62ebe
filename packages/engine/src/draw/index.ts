export * from "./draw.js";
export * from "./entries.js";

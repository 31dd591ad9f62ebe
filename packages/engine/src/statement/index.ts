export * from "./assemble.js";
export * from "./canonical.js";
export * from "./explain.js";
export * from "./types.js";

export * from "./bundle.js";
export * from "./replay.js";

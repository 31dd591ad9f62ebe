export * from "./embedded.js";
export * from "./sample-history.js";

export * from "./closes.js";
export * from "./ppa.js";

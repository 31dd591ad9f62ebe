export * from "./calculator.js";
export * from "./engine.js";
export * from "./rep-ledger.js";

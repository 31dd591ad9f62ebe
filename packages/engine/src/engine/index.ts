export * from "./calculator.js";
export * from "./engine.js";
export { periodExceptionsFrom } from "./exceptions.js";
export * from "./rep-ledger.js";

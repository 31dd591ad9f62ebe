export * from "./close.js";
export * from "./money.js";
export * from "./payroll.js";
export * from "./preview.js";
export * from "./snapshot.js";
export * from "./summary.js";

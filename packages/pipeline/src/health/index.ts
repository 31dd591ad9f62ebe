export * from "./readiness.js";

export * from "./polling.js";

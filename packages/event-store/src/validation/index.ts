export * from "./append.js";

export * from "./append-many.js";

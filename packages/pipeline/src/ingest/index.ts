export * from "./app.js";
export * from "./batch.js";
export * from "./bounded.js";
export * from "./shutdown.js";
export * from "./validator.js";

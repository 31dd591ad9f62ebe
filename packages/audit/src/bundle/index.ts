export * from "./chain.js";
export * from "./codec.js";
export * from "./create.js";
export * from "./types.js";
export * from "./verify.js";

export * from "./batch/index.js";
export * from "./chain/index.js";
export * from "./command/index.js";
export * from "./memory/index.js";
export * from "./port/index.js";
export * from "./subscription/index.js";
export * from "./validation/index.js";

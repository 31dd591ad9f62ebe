export * from "./bundle/index.js";
export * from "./merkle/index.js";

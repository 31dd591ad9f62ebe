export * from "./merkle.js";
export * from "./proof-json.js";

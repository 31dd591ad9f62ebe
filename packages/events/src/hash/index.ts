export * from "./chain-link.js";
export * from "./sha256.js";

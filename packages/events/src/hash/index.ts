export * from "./sha256.js";

export * from "./envelope.js";
export * from "./streams.js";

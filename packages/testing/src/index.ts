export * from "./fixture.js";
export * from "./services.js";

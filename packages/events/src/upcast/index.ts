export * from "./upcasters.js";

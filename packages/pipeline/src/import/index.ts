export * from "./import-file.js";
export * from "./mapping.js";

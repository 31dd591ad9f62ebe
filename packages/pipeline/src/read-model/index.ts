export * from "./queries.js";
export * from "./rows.js";
export * from "./schema.js";
export * from "./sql.js";
export * from "./writer.js";

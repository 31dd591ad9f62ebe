// The HTTP API of the ICM engine (Fastify): see docs/api.md.
export * from "./access.js";
export * from "./app.js";
export * from "./auth.js";
export * from "./config.js";
export * from "./errors.js";
export * from "./server.js";
export * from "./views.js";
export * from "./writer.js";

export * from "./engine-model.js";
export * from "./engine-port.js";
export * from "./partition.js";
export * from "./projector.js";

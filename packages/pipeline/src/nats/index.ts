export * from "./connect.js";
export * from "./message.js";
export * from "./publisher.js";
export * from "./topology.js";

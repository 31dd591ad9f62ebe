export * as schemas from "./catalog.js";
export { EVENT_SCHEMAS, EVENT_TYPES, type EventData, type EventType } from "./catalog.js";
export * from "./common.js";

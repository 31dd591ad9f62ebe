export {
  createEventStoreDbEventStore,
  createEventStoreOnClient,
  DEFAULT_NAMESPACE,
  type EsdbClient,
  type EventStoreDbEventStoreOptions,
} from "./esdb-event-store.js";
export { assertNamespace, esdbStreamName, eventUuid, InvalidNamespaceError } from "./ids.js";

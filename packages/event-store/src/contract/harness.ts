import { randomUUID } from "node:crypto";
import type { JsonObject } from "@icm/events";
import type { EventStore, EventToAppend, RecordedEvent } from "../port/types.js";

/** Powers to corrupt the stored log behind the store's back, so the contract can prove tampering is caught. */
export interface ContractTamper {
  /** Overwrite the stored data of the event at this position, keeping its stored hashes. */
  editData(globalPosition: number, data: JsonObject): Promise<void>;
  /** Remove the stored event at this position. */
  deleteEvent(globalPosition: number): Promise<void>;
  /** Exchange the global positions of two stored events. */
  swapPositions?(a: number, b: number): Promise<void>;
}

/**
 * One adapter instance under test. The factory must hand out an EMPTY store for every harness (a fresh
 * schema, database or stream prefix), using a fixed injected clock.
 */
export interface ContractHarness {
  store: EventStore;
  tamper?: ContractTamper;
  /** Breaks the store's backend connections (as a network drop would); reads may then fail for a while. */
  dropConnections?(): Promise<void>;
  /** Closes nothing; opens a second store instance over the same data (a process restart). */
  reopen?(): Promise<EventStore>;
  /** Closes every store this harness opened (close() is idempotent) and removes its data. */
  cleanup(): Promise<void>;
}

export type ContractFactory = () => Promise<ContractHarness>;

export async function withHarness<T>(
  factory: ContractFactory,
  body: (harness: ContractHarness) => Promise<T>,
): Promise<T> {
  const harness = await factory();
  try {
    return await body(harness);
  } finally {
    await harness.cleanup();
  }
}

/** A unique, printable id; contract ids are only required to be unique, never to be deterministic. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}

export function testEvent(
  eventId: string,
  data: JsonObject = {},
  type = "ContractTested",
  metadata: JsonObject = {},
): EventToAppend {
  return { eventId, type, schemaVersion: 1, data, metadata };
}

/** `count` fresh events with ids `${prefix}-1..count` and data `{ n }`. */
export function testEvents(prefix: string, count: number, type = "ContractTested"): EventToAppend[] {
  return Array.from({ length: count }, (_, index) =>
    testEvent(`${prefix}-${index + 1}`, { n: index + 1 }, type),
  );
}

/** Bound on pages a helper reads, so a broken adapter fails the test instead of hanging it. */
const MAX_PAGES = 100_000;

/** Every event after `after`, read page by page. */
export async function readAllEvents(
  store: EventStore,
  options: { after?: number; eventTypes?: readonly string[]; limit?: number } = {},
): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  let after = options.after ?? 0;
  for (let pages = 0; pages < MAX_PAGES; pages += 1) {
    const page = await store.readAll({
      after,
      limit: options.limit ?? 500,
      ...(options.eventTypes ? { eventTypes: options.eventTypes } : {}),
    });
    out.push(...page.events);
    if (page.isEnd) return out;
    if (page.checkpoint <= after) throw new Error(`readAll did not advance past ${after}`);
    after = page.checkpoint;
  }
  throw new Error(`readAll did not reach the end within ${MAX_PAGES} pages`);
}

/** Polls `condition` every few milliseconds; fails naming `what` after `timeoutMs`. Clears its timer. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const stepMs = 5;
  for (let waited = 0; waited <= timeoutMs; waited += stepMs) {
    if (await condition()) return;
    await sleep(stepMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Deterministic pseudo-random numbers (mulberry32) so that "random" interleavings are reproducible. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Which optional powers the adapter's harness offers; decides which contract tests can run. */
export interface HarnessPowers {
  readonly tamper: boolean;
  readonly swapPositions: boolean;
  readonly dropConnections: boolean;
  readonly reopen: boolean;
}

/**
 * Builds and cleans up one harness to learn its powers. If that fails (e.g. the service is down and the
 * suite is skipped by describeWith), every power is assumed present: the tests then fail loudly on the
 * factory error if they run at all, instead of being silently skipped.
 */
export async function probePowers(factory: ContractFactory): Promise<HarnessPowers> {
  let harness: ContractHarness;
  try {
    harness = await factory();
  } catch {
    return { tamper: true, swapPositions: true, dropConnections: true, reopen: true };
  }
  try {
    return {
      tamper: harness.tamper !== undefined,
      swapPositions: harness.tamper?.swapPositions !== undefined,
      dropConnections: harness.dropConnections !== undefined,
      reopen: harness.reopen !== undefined,
    };
  } finally {
    await harness.cleanup();
  }
}

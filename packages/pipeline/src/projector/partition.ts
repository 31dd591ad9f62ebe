/**
 * Which projector instance owns a rep. Every instance reads every event (plans, FX rates and the manager
 * hierarchy are facts shared by all reps), but writes read-model rows only for the reps it owns, so
 * instances never write the same row and each keeps its own checkpoint.
 */
export interface Partition {
  /** 0-based index of this instance. */
  readonly index: number;
  /** Number of instances; 1 = unpartitioned. */
  readonly count: number;
}

export const SINGLE_PARTITION: Partition = { index: 0, count: 1 };

/** Upper bound on instances: a checkpoint row each, and every instance replays the whole log. */
export const MAX_PARTITIONS = 256;

export function assertPartition(partition: Partition): void {
  const { index, count } = partition;
  if (!Number.isInteger(count) || count < 1 || count > MAX_PARTITIONS) {
    throw new RangeError(`partition count must be an integer 1..${MAX_PARTITIONS}, got ${count}`);
  }
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new RangeError(`partition index must be an integer 0..${count - 1}, got ${index}`);
  }
}

/** "k/n" (as in ICM_PROJECTOR_PARTITION=1/4) → { index: k, count: n }. */
export function parsePartition(text: string): Partition {
  const match = /^(\d{1,3})\/(\d{1,3})$/.exec(text.trim());
  if (!match)
    throw new RangeError(`partition must look like "k/n" (e.g. "0/4"), got ${JSON.stringify(text)}`);
  const partition = { index: Number(match[1]), count: Number(match[2]) };
  assertPartition(partition);
  return partition;
}

export function formatPartition(partition: Partition): string {
  return `${partition.index}/${partition.count}`;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const utf8 = new TextEncoder();

/**
 * 32-bit FNV-1a over the UTF-8 bytes of the id. Stable across processes, machines and Node versions (unlike
 * any built-in hash), which is the whole point: two instances must agree on who owns a rep.
 */
export function stableHash(id: string): number {
  let hash = FNV_OFFSET;
  for (const byte of utf8.encode(id)) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME) >>> 0;
  }
  return hash >>> 0;
}

export function ownsRep(partition: Partition, repId: string): boolean {
  return partition.count === 1 || stableHash(repId) % partition.count === partition.index;
}

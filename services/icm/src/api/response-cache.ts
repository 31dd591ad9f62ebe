import { createHash } from "node:crypto";

/** Default bound on the serialised statements kept (bytes of JSON); ICM_API_STATEMENT_CACHE_BYTES overrides. */
export const DEFAULT_STATEMENT_CACHE_BYTES = 256 * 1024 * 1024;
/** Bound on the number of bodies kept, whatever their size (a key and an ETag cost memory too). */
export const MAX_STATEMENT_CACHE_ENTRIES = 100_000;
/**
 * A body larger than this share of the byte bound is answered but not kept: one VP statement must not evict
 * hundreds of reps' statements, and a cache that fits a few bodies only thrashes.
 */
const MAX_ENTRY_SHARE = 8;

/** A serialised answer and its strong ETag (a hash of the bytes, so equal bytes give equal tags). */
export interface CachedBody {
  readonly body: Buffer;
  readonly etag: string;
}

/** Strong ETag of a body: SHA-256 of the bytes, base64url. */
export function etagOf(body: Buffer): string {
  return `"${createHash("sha256").update(body).digest("base64url")}"`;
}

/**
 * Does an If-None-Match header match this ETag? RFC 9110 §13.1.2: "*" matches any current representation,
 * otherwise a comma-separated list of entity tags compared weakly (a W/ prefix is ignored).
 */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const trimmed = header.trim();
  if (trimmed === "*") return true;
  for (const part of trimmed.split(",")) {
    const tag = part.trim();
    if ((tag.startsWith("W/") ? tag.slice(2) : tag) === etag) return true;
  }
  return false;
}

/**
 * Serialised statements by key, least recently used dropped first, bounded by total bytes and by count.
 * The key must name everything the bytes depend on (rep, period, the log position the answer is as of, and
 * whether it was the latest statement or an as-of one): an answer as of a position never changes, so
 * nothing is ever invalidated, only evicted; a latest answer is keyed by the applied position, so once the
 * log moves it is simply never asked for again and ages out.
 */
export class ResponseCache {
  private readonly entries = new Map<string, CachedBody>();
  private totalBytes = 0;

  constructor(
    readonly maxBytes: number = DEFAULT_STATEMENT_CACHE_BYTES,
    readonly maxEntries: number = MAX_STATEMENT_CACHE_ENTRIES,
  ) {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0)
      throw new RangeError(`maxBytes must be a whole number >= 0, got ${maxBytes}`);
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 0)
      throw new RangeError(`maxEntries must be a whole number >= 0, got ${maxEntries}`);
  }

  /** Bytes of the bodies kept. */
  get bytes(): number {
    return this.totalBytes;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The body kept under `key`, now the most recently used. */
  get(key: string): CachedBody | undefined {
    const hit = this.entries.get(key);
    if (hit === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, hit);
    return hit;
  }

  /** Keeps `body` under `key` (unless it is too large to keep) and returns it with its ETag. */
  set(key: string, body: Buffer): CachedBody {
    const entry: CachedBody = { body, etag: etagOf(body) };
    const old = this.entries.get(key);
    if (old !== undefined) {
      this.entries.delete(key);
      this.totalBytes -= old.body.length;
    }
    if (this.maxEntries === 0 || body.length > this.maxBytes / MAX_ENTRY_SHARE) return entry;
    this.entries.set(key, entry);
    this.totalBytes += body.length;
    // Map iteration is insertion order, and `get` re-inserts: the first key is the least recently used.
    for (const [oldest, value] of this.entries) {
      if (this.totalBytes <= this.maxBytes && this.entries.size <= this.maxEntries) break;
      this.entries.delete(oldest);
      this.totalBytes -= value.body.length;
    }
    return entry;
  }

  clear(): void {
    this.entries.clear();
    this.totalBytes = 0;
  }
}

/** Cache key of a statement answer (JSON: unambiguous whatever characters an id holds). */
export function statementKey(repId: string, period: string, position: number, latest: boolean): string {
  return JSON.stringify([repId, period, latest ? "latest" : "asOf", position]);
}

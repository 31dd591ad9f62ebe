import { createHash } from "node:crypto";
import { canonicalBytes, sha256Hex } from "@icm/events";

/**
 * A Merkle tree over the statement digests of one period close (DOMAIN.md §7), so that one rep can be shown
 * that their statement is part of a close without seeing anyone else's.
 *
 * Hashing follows RFC 6962 (Certificate Transparency), section 2.1:
 * - a leaf hashes as SHA-256(0x00 ‖ canonical JSON of {digest, repId}), an inner node as
 *   SHA-256(0x01 ‖ left ‖ right) over the raw 32-byte child hashes. The distinct prefixes are domain
 *   separation: without them an inner node's 64 input bytes could be presented as a leaf (a second preimage),
 *   and a proof for a forged "leaf" would verify.
 * - Leaves are sorted by repId (UTF-16 code-unit order, the canonical-JSON key order, never locale order), so
 *   the root depends on the set of statements, not on the order a projector happened to emit them.
 * - A level with an odd number of nodes PROMOTES its last node unchanged to the next level; it is never paired
 *   with a copy of itself. Duplicating (as Bitcoin does) makes the lists [a, b, c] and [a, b, c, c] share a
 *   root (CVE-2012-2459), so a tree could silently gain a statement. With promotion the tree's shape is a
 *   function of the leaf count alone, and that count is part of every proof. Level-by-level pairing with
 *   promotion builds exactly RFC 6962's tree (split at the largest power of two below n).
 * - The empty tree's root is SHA-256 of the empty string (RFC 6962's MTH({})):
 *   e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855. A close with no statements still has a
 *   well-defined, recognisable root.
 */

export interface MerkleLeaf {
  readonly repId: string;
  /** Hex SHA-256 of the rep's statement (lowercase, 64 characters). */
  readonly digest: string;
}

export type SiblingSide = "left" | "right";

export interface MerkleSibling {
  /** Where the sibling sits relative to the running hash: "left" means hash = H(0x01 ‖ sibling ‖ running). */
  readonly side: SiblingSide;
  readonly hash: string;
}

/** Everything needed to check one statement against a root, offline, with no other data. */
export interface MerkleProof {
  readonly repId: string;
  readonly digest: string;
  /** Position of the leaf among the repId-sorted leaves (0-based). */
  readonly leafIndex: number;
  readonly leafCount: number;
  /** From the leaf level up to just below the root; levels where the node was promoted have no entry. */
  readonly siblings: readonly MerkleSibling[];
  readonly root: string;
}

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);
const HEX_SHA256 = /^[0-9a-f]{64}$/;

/** Root of the empty tree: SHA-256 of zero bytes. */
export const EMPTY_MERKLE_ROOT = sha256Hex(new Uint8Array(0));

/**
 * A bound on the leaves of one tree (one per rep in a close). Far above any sales organisation, low enough
 * that a malformed proof claiming 2^53 leaves is rejected before any work.
 */
export const MAX_MERKLE_LEAVES = 10_000_000;

export function isSha256Hex(text: unknown): text is string {
  return typeof text === "string" && HEX_SHA256.test(text);
}

/** Leaf hash: SHA-256(0x00 ‖ canonical bytes of {digest, repId}). Hex. */
export function merkleLeafHash(leaf: MerkleLeaf): string {
  return createHash("sha256")
    .update(LEAF_PREFIX)
    .update(canonicalBytes({ digest: leaf.digest, repId: leaf.repId }))
    .digest("hex");
}

/** Inner node hash: SHA-256(0x01 ‖ left ‖ right) over the raw 32-byte child hashes. Hex. */
export function merkleNodeHash(leftHex: string, rightHex: string): string {
  return createHash("sha256")
    .update(NODE_PREFIX)
    .update(Buffer.from(leftHex, "hex"))
    .update(Buffer.from(rightHex, "hex"))
    .digest("hex");
}

function compareCodeUnits(a: string, b: string): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}

/** Validates leaves and returns them sorted by repId; a repeated repId is a caller bug, never merged. */
export function sortLeaves(leaves: readonly MerkleLeaf[]): MerkleLeaf[] {
  if (leaves.length > MAX_MERKLE_LEAVES) {
    throw new RangeError(`a Merkle tree holds at most ${MAX_MERKLE_LEAVES} leaves, got ${leaves.length}`);
  }
  for (const leaf of leaves) {
    if (typeof leaf.repId !== "string" || leaf.repId.length === 0) {
      throw new TypeError("every Merkle leaf needs a non-empty repId");
    }
    if (!isSha256Hex(leaf.digest)) {
      throw new TypeError(`leaf ${leaf.repId}: digest must be a lowercase hex SHA-256`);
    }
  }
  const sorted = leaves.map((leaf) => ({ repId: leaf.repId, digest: leaf.digest }));
  sorted.sort((a, b) => compareCodeUnits(a.repId, b.repId));
  for (let index = 1; index < sorted.length; index += 1) {
    if (sorted[index - 1]?.repId === sorted[index]?.repId) {
      throw new RangeError(`repId ${sorted[index]?.repId} appears twice among the Merkle leaves`);
    }
  }
  return sorted;
}

/** One level up: pair neighbours, promote an odd last node. */
function parentLevel(level: readonly string[]): string[] {
  const parents: string[] = [];
  for (let index = 0; index + 1 < level.length; index += 2) {
    parents.push(merkleNodeHash(level[index] as string, level[index + 1] as string));
  }
  if (level.length % 2 === 1) parents.push(level[level.length - 1] as string);
  return parents;
}

/**
 * A built tree: every level kept, so that proofs for all reps of a close cost O(n) to build once and
 * O(log n) each, instead of rebuilding the tree per rep.
 */
export interface MerkleTree {
  readonly root: string;
  readonly leafCount: number;
  /** The repId-sorted leaves. */
  readonly leaves: readonly MerkleLeaf[];
  /** The proof for one rep; throws if the rep has no leaf. */
  proof(repId: string): MerkleProof;
}

export function buildMerkleTree(leaves: readonly MerkleLeaf[]): MerkleTree {
  const sorted = sortLeaves(leaves);
  const indexOf = new Map(sorted.map((leaf, index) => [leaf.repId, index]));
  const levels: string[][] = [sorted.map(merkleLeafHash)];
  for (let level = levels[0] as string[]; level.length > 1; ) {
    level = parentLevel(level);
    levels.push(level);
  }
  const root =
    sorted.length === 0 ? EMPTY_MERKLE_ROOT : ((levels[levels.length - 1] as string[])[0] as string);
  return {
    root,
    leafCount: sorted.length,
    leaves: sorted,
    proof(repId: string): MerkleProof {
      const leafIndex = indexOf.get(repId);
      if (leafIndex === undefined) throw new RangeError(`repId ${repId} has no leaf in this tree`);
      const leaf = sorted[leafIndex] as MerkleLeaf;
      const siblings: MerkleSibling[] = [];
      let index = leafIndex;
      for (const level of levels.slice(0, -1)) {
        if (index % 2 === 1) siblings.push({ side: "left", hash: level[index - 1] as string });
        else if (index + 1 < level.length) siblings.push({ side: "right", hash: level[index + 1] as string });
        // else: the last node of an odd level is promoted and has no sibling at this level.
        index = Math.floor(index / 2);
      }
      return { repId: leaf.repId, digest: leaf.digest, leafIndex, leafCount: sorted.length, siblings, root };
    },
  };
}

/** The Merkle root over statement digests keyed by repId; independent of input order. */
export function merkleRoot(leaves: readonly MerkleLeaf[]): string {
  return buildMerkleTree(leaves).root;
}

/** The proof that `repId`'s digest is in the tree; throws if the rep has no leaf. */
export function inclusionProof(leaves: readonly MerkleLeaf[], repId: string): MerkleProof {
  return buildMerkleTree(leaves).proof(repId);
}

/**
 * The sibling sides a leaf at `leafIndex` must have in a tree of `leafCount` leaves. Checking the proof's
 * sides against this binds the proof to its claimed position: a proof replayed with another index (or
 * another count) has a different side pattern and fails.
 */
export function expectedSiblingSides(leafIndex: number, leafCount: number): SiblingSide[] {
  const sides: SiblingSide[] = [];
  let index = leafIndex;
  let size = leafCount;
  while (size > 1) {
    if (index % 2 === 1) sides.push("left");
    else if (index + 1 < size) sides.push("right");
    index = Math.floor(index / 2);
    size = Math.ceil(size / 2);
  }
  return sides;
}

/**
 * Checks a proof with nothing but the proof: structure, position binding and the recomputed root. Returns
 * false (never throws) for anything malformed, because proofs come from outside.
 *
 * `true` means "this digest is in the tree whose root is proof.root". Whether that root is the one a close
 * published is a separate question: pass `expectedRoot` (the PeriodClosed merkleRoot, from a trusted copy
 * of the log) to answer both at once.
 */
export function verifyInclusion(proof: MerkleProof, expectedRoot?: string): boolean {
  if (
    expectedRoot !== undefined &&
    (typeof proof !== "object" || proof === null || proof.root !== expectedRoot)
  ) {
    return false;
  }
  if (typeof proof !== "object" || proof === null) return false;
  const { repId, digest, leafIndex, leafCount, siblings, root } = proof;
  if (typeof repId !== "string" || repId.length === 0) return false;
  if (!isSha256Hex(digest) || !isSha256Hex(root)) return false;
  if (!Number.isSafeInteger(leafCount) || leafCount < 1 || leafCount > MAX_MERKLE_LEAVES) return false;
  if (!Number.isSafeInteger(leafIndex) || leafIndex < 0 || leafIndex >= leafCount) return false;
  if (!Array.isArray(siblings)) return false;
  const sides = expectedSiblingSides(leafIndex, leafCount);
  if (siblings.length !== sides.length) return false;
  let running = merkleLeafHash({ repId, digest });
  for (let level = 0; level < sides.length; level += 1) {
    const sibling: unknown = siblings[level];
    if (typeof sibling !== "object" || sibling === null) return false;
    const { side, hash } = sibling as Partial<MerkleSibling>;
    if (side !== sides[level] || !isSha256Hex(hash)) return false;
    running = side === "left" ? merkleNodeHash(hash, running) : merkleNodeHash(running, hash);
  }
  return running === root;
}

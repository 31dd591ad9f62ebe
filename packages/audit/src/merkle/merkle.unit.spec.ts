import { createHash } from "node:crypto";
import { canonicalJson } from "@icm/events";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  buildMerkleTree,
  EMPTY_MERKLE_ROOT,
  inclusionProof,
  type MerkleLeaf,
  type MerkleProof,
  merkleLeafHash,
  merkleRoot,
  verifyInclusion,
} from "./merkle.js";
import { decodeProof, encodeProof, ProofFormatError } from "./proof-json.js";

const RUNS = { numRuns: 200 };

const hexDigest = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString("hex"));
const repId = fc.string({ minLength: 1, maxLength: 12 });
const leafArb = fc.record({ repId, digest: hexDigest });
const leavesArb = (minLength: number) =>
  fc.uniqueArray(leafArb, { minLength, maxLength: 40, selector: (leaf) => leaf.repId });

/** A leaves array together with one of its members. */
const leavesWithMember = leavesArb(1).chain((leaves) =>
  fc.record({ leaves: fc.constant(leaves), member: fc.constantFrom(...leaves) }),
);

const proofArb = leavesWithMember.map(({ leaves, member }) => inclusionProof(leaves, member.repId));
const proofWithSiblings = proofArb.filter((p) => p.siblings.length > 0);

/** RFC 6962 §2.1 MTH, written recursively as in the RFC: the reference our level-by-level build must match. */
function rfc6962Root(sortedLeafHashes: readonly string[]): string {
  if (sortedLeafHashes.length === 0) return createHash("sha256").digest("hex");
  if (sortedLeafHashes.length === 1) return sortedLeafHashes[0] as string;
  let split = 1;
  while (split * 2 < sortedLeafHashes.length) split *= 2;
  const left = rfc6962Root(sortedLeafHashes.slice(0, split));
  const right = rfc6962Root(sortedLeafHashes.slice(split));
  return createHash("sha256")
    .update(Uint8Array.of(1))
    .update(Buffer.from(left, "hex"))
    .update(Buffer.from(right, "hex"))
    .digest("hex");
}

function sortedByRepId(leaves: readonly MerkleLeaf[]): MerkleLeaf[] {
  return [...leaves].sort((a, b) => (a.repId < b.repId ? -1 : a.repId > b.repId ? 1 : 0));
}

const otherHex = (hex: string) => (hex[0] === "0" ? "1" : "0") + hex.slice(1);

describe("merkleRoot", () => {
  it("is SHA-256 of the empty string for no leaves", () => {
    expect(merkleRoot([])).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(EMPTY_MERKLE_ROOT).toBe(merkleRoot([]));
  });

  it("hashes a leaf as SHA-256(0x00 ‖ canonical {digest, repId}) and a node as SHA-256(0x01 ‖ left ‖ right)", () => {
    const a = { repId: "rep-a", digest: "a".repeat(64) };
    const b = { repId: "rep-b", digest: "b".repeat(64) };
    const leaf = (l: MerkleLeaf) =>
      createHash("sha256")
        .update(Buffer.concat([Buffer.of(0), Buffer.from(`{"digest":"${l.digest}","repId":"${l.repId}"}`)]))
        .digest();
    const expected = createHash("sha256")
      .update(Buffer.concat([Buffer.of(1), leaf(a), leaf(b)]))
      .digest("hex");
    expect(merkleLeafHash(a)).toBe(leaf(a).toString("hex"));
    expect(merkleRoot([b, a])).toBe(expected);
    expect(merkleRoot([a])).toBe(leaf(a).toString("hex"));
  });

  it("promotes an odd node instead of duplicating it, so [a, b, c] and [a, b, c, c'] never share a root", () => {
    const a = { repId: "a", digest: "1".repeat(64) };
    const b = { repId: "b", digest: "2".repeat(64) };
    const c = { repId: "c", digest: "3".repeat(64) };
    const d = { repId: "d", digest: "3".repeat(64) };
    expect(merkleRoot([a, b, c])).not.toBe(merkleRoot([a, b, c, d]));
    const ab = merkleRoot([a, b]);
    const expected = createHash("sha256")
      .update(Buffer.concat([Buffer.of(1), Buffer.from(ab, "hex"), Buffer.from(merkleLeafHash(c), "hex")]))
      .digest("hex");
    expect(merkleRoot([a, b, c])).toBe(expected);
  });

  it("rejects a repeated repId and a malformed digest", () => {
    const a = { repId: "a", digest: "1".repeat(64) };
    expect(() => merkleRoot([a, { ...a, digest: "2".repeat(64) }])).toThrow(/appears twice/);
    expect(() => merkleRoot([{ repId: "a", digest: "ABC" }])).toThrow(/digest/);
    expect(() => merkleRoot([{ repId: "", digest: "1".repeat(64) }])).toThrow(/repId/);
  });

  it("law: equals the RFC 6962 recursive tree hash over the repId-sorted leaves", () => {
    fc.assert(
      fc.property(leavesArb(0), (leaves) => {
        const expected = rfc6962Root(sortedByRepId(leaves).map(merkleLeafHash));
        expect(merkleRoot(leaves)).toBe(expected);
      }),
      RUNS,
    );
  });

  it("law: the root does not depend on the order of the input", () => {
    fc.assert(
      fc.property(
        leavesArb(0).chain((leaves) =>
          fc.tuple(fc.constant(leaves), fc.shuffledSubarray(leaves, { minLength: leaves.length })),
        ),
        ([leaves, shuffled]) => {
          expect(merkleRoot(shuffled)).toBe(merkleRoot(leaves));
        },
      ),
      RUNS,
    );
  });

  it("law: changing any one digest changes the root", () => {
    fc.assert(
      fc.property(leavesWithMember, ({ leaves, member }) => {
        const changed = leaves.map((l) =>
          l.repId === member.repId ? { ...l, digest: otherHex(l.digest) } : l,
        );
        expect(merkleRoot(changed)).not.toBe(merkleRoot(leaves));
      }),
      RUNS,
    );
  });
});

describe("inclusionProof / verifyInclusion", () => {
  it("throws for a rep without a leaf", () => {
    expect(() => inclusionProof([{ repId: "a", digest: "1".repeat(64) }], "b")).toThrow(/no leaf/);
  });

  it("checks the proof against a published root when one is given", () => {
    const leaves = [
      { repId: "a", digest: "1".repeat(64) },
      { repId: "b", digest: "2".repeat(64) },
    ];
    const proof = inclusionProof(leaves, "b");
    expect(verifyInclusion(proof, merkleRoot(leaves))).toBe(true);
    expect(verifyInclusion(proof, merkleRoot([leaves[0] as MerkleLeaf]))).toBe(false);
  });

  it("a single-leaf tree has a proof without siblings", () => {
    const proof = inclusionProof([{ repId: "a", digest: "1".repeat(64) }], "a");
    expect(proof).toMatchObject({ leafIndex: 0, leafCount: 1, siblings: [] });
    expect(verifyInclusion(proof)).toBe(true);
  });

  it("law: every leaf's proof verifies against the tree's root", () => {
    fc.assert(
      fc.property(leavesArb(1), (leaves) => {
        const root = merkleRoot(leaves);
        const sorted = sortedByRepId(leaves);
        for (const leaf of leaves) {
          const proof = inclusionProof(leaves, leaf.repId);
          expect(proof.root).toBe(root);
          expect(proof.digest).toBe(leaf.digest);
          expect(proof.leafCount).toBe(leaves.length);
          expect(sorted[proof.leafIndex]?.repId).toBe(leaf.repId);
          expect(proof.siblings.length).toBeLessThanOrEqual(Math.ceil(Math.log2(leaves.length)));
          expect(verifyInclusion(proof)).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it("law: a changed digest fails", () => {
    fc.assert(
      fc.property(proofArb, hexDigest, (proof, digest) => {
        fc.pre(digest !== proof.digest);
        expect(verifyInclusion({ ...proof, digest })).toBe(false);
      }),
      RUNS,
    );
  });

  it("law: a changed repId fails", () => {
    fc.assert(
      fc.property(proofArb, repId, (proof, other) => {
        fc.pre(other !== proof.repId);
        expect(verifyInclusion({ ...proof, repId: other })).toBe(false);
      }),
      RUNS,
    );
  });

  it("law: a changed sibling hash or a flipped side fails", () => {
    fc.assert(
      fc.property(proofWithSiblings, fc.nat(), hexDigest, fc.boolean(), (proof, pick, hash, flipSide) => {
        const at = pick % proof.siblings.length;
        const original = proof.siblings[at] as MerkleProof["siblings"][number];
        fc.pre(flipSide || hash !== original.hash);
        const changed = flipSide
          ? { side: original.side === "left" ? ("right" as const) : ("left" as const), hash: original.hash }
          : { side: original.side, hash };
        const siblings = proof.siblings.map((s, i) => (i === at ? changed : s));
        expect(verifyInclusion({ ...proof, siblings })).toBe(false);
      }),
      RUNS,
    );
  });

  it("law: a dropped or an added sibling fails", () => {
    fc.assert(
      fc.property(proofArb, hexDigest, (proof, extra) => {
        expect(
          verifyInclusion({ ...proof, siblings: [...proof.siblings, { side: "left", hash: extra }] }),
        ).toBe(false);
        expect(
          verifyInclusion({ ...proof, siblings: [...proof.siblings, { side: "right", hash: extra }] }),
        ).toBe(false);
        if (proof.siblings.length > 0) {
          expect(verifyInclusion({ ...proof, siblings: proof.siblings.slice(1) })).toBe(false);
        }
      }),
      RUNS,
    );
  });

  it("law: any other leaf index fails", () => {
    fc.assert(
      fc.property(
        proofArb.filter((p) => p.leafCount > 1),
        fc.nat(),
        (proof, pick) => {
          const other = (proof.leafIndex + 1 + (pick % (proof.leafCount - 1))) % proof.leafCount;
          expect(other).not.toBe(proof.leafIndex);
          expect(verifyInclusion({ ...proof, leafIndex: other })).toBe(false);
        },
      ),
      RUNS,
    );
  });

  it("law: a changed root or an out-of-range index or count fails", () => {
    fc.assert(
      fc.property(proofArb, (proof) => {
        expect(verifyInclusion({ ...proof, root: otherHex(proof.root) })).toBe(false);
        expect(verifyInclusion({ ...proof, leafIndex: proof.leafCount })).toBe(false);
        expect(verifyInclusion({ ...proof, leafIndex: -1 })).toBe(false);
        expect(verifyInclusion({ ...proof, leafCount: 0 })).toBe(false);
      }),
      RUNS,
    );
  });

  it("returns false, never throws, for malformed proofs", () => {
    const good = inclusionProof(
      [
        { repId: "a", digest: "1".repeat(64) },
        { repId: "b", digest: "2".repeat(64) },
      ],
      "a",
    );
    const bad: unknown[] = [
      null,
      {},
      { ...good, digest: "XYZ" },
      { ...good, siblings: "nope" },
      { ...good, siblings: [null] },
      { ...good, siblings: [{ side: "up", hash: good.root }] },
      { ...good, leafIndex: 0.5 },
    ];
    for (const proof of bad) expect(verifyInclusion(proof as MerkleProof)).toBe(false);
    expect(verifyInclusion(good)).toBe(true);
  });
});

describe("buildMerkleTree", () => {
  it("law: one built tree gives the same root and proofs as the one-shot functions", () => {
    fc.assert(
      fc.property(leavesArb(0), (leaves) => {
        const tree = buildMerkleTree(leaves);
        expect(tree.root).toBe(merkleRoot(leaves));
        expect(tree.leafCount).toBe(leaves.length);
        expect(tree.leaves.map((l) => l.repId)).toEqual(sortedByRepId(leaves).map((l) => l.repId));
        for (const leaf of leaves) expect(tree.proof(leaf.repId)).toEqual(inclusionProof(leaves, leaf.repId));
      }),
      RUNS,
    );
  });
});

describe("proof JSON", () => {
  it("law: proofs serialize to canonical JSON and decode to an equal, still-valid proof", () => {
    fc.assert(
      fc.property(proofArb, (proof) => {
        const text = encodeProof(proof);
        expect(canonicalJson(JSON.parse(text))).toBe(text);
        const decoded = decodeProof(text);
        expect(decoded).toEqual(proof);
        expect(verifyInclusion(decoded)).toBe(true);
      }),
      RUNS,
    );
  });

  it("rejects text that is not a proof, naming the field", () => {
    const proof = inclusionProof([{ repId: "a", digest: "1".repeat(64) }], "a");
    const text = encodeProof(proof);
    expect(() => decodeProof("not json")).toThrow(ProofFormatError);
    expect(() => decodeProof("[]")).toThrow(ProofFormatError);
    expect(() => decodeProof(text.replace('"leafCount":1', '"leafCount":"1"'))).toThrow(/leafCount/);
    expect(() => decodeProof(JSON.stringify({ ...proof, extra: 1 }))).toThrow(/exactly the fields/);
    expect(() => decodeProof(JSON.stringify({ ...proof, siblings: [{ side: "up", hash: "x" }] }))).toThrow(
      /siblings\[0\]\.side/,
    );
  });
});

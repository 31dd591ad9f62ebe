import { canonicalJson } from "@icm/events";
import type { MerkleProof, MerkleSibling } from "./merkle.js";

/**
 * Proofs travel as canonical JSON (sorted keys, no whitespace), so a proof handed to a rep has one byte
 * form and can itself be hashed or signed. Decoding checks the shape only; whether the proof holds is
 * `verifyInclusion`'s job.
 */
export function encodeProof(proof: MerkleProof): string {
  return canonicalJson({
    repId: proof.repId,
    digest: proof.digest,
    leafIndex: proof.leafIndex,
    leafCount: proof.leafCount,
    siblings: proof.siblings.map((s) => ({ side: s.side, hash: s.hash })),
    root: proof.root,
  });
}

export class ProofFormatError extends Error {
  override readonly name = "ProofFormatError";
  constructor(
    readonly path: string,
    readonly rule: string,
  ) {
    super(`${path}: ${rule}`);
  }
}

const PROOF_KEYS = ["digest", "leafCount", "leafIndex", "repId", "root", "siblings"];

export function decodeProof(text: string): MerkleProof {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ProofFormatError("$", `not JSON: ${(error as Error).message}`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ProofFormatError("$", "must be an object");
  }
  const record = raw as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  if (keys.join(",") !== PROOF_KEYS.join(",")) {
    throw new ProofFormatError("$", `must have exactly the fields ${PROOF_KEYS.join(", ")}`);
  }
  const { repId, digest, leafIndex, leafCount, siblings, root } = record;
  if (typeof repId !== "string") throw new ProofFormatError("repId", "must be a string");
  if (typeof digest !== "string") throw new ProofFormatError("digest", "must be a string");
  if (typeof root !== "string") throw new ProofFormatError("root", "must be a string");
  if (!Number.isSafeInteger(leafIndex)) throw new ProofFormatError("leafIndex", "must be an integer");
  if (!Number.isSafeInteger(leafCount)) throw new ProofFormatError("leafCount", "must be an integer");
  if (!Array.isArray(siblings)) throw new ProofFormatError("siblings", "must be an array");
  const parsedSiblings: MerkleSibling[] = siblings.map((item: unknown, index) => {
    if (typeof item !== "object" || item === null) {
      throw new ProofFormatError(`siblings[${index}]`, "must be an object");
    }
    const { side, hash } = item as Record<string, unknown>;
    if (side !== "left" && side !== "right") {
      throw new ProofFormatError(`siblings[${index}].side`, 'must be "left" or "right"');
    }
    if (typeof hash !== "string") throw new ProofFormatError(`siblings[${index}].hash`, "must be a string");
    return { side, hash };
  });
  return {
    repId,
    digest,
    leafIndex: leafIndex as number,
    leafCount: leafCount as number,
    siblings: parsedSiblings,
    root,
  };
}

import { type CryptoKey, importSPKI, type JWTPayload, jwtVerify, type KeyObject, SignJWT } from "jose";
import { z } from "zod";
import { ApiError } from "./errors.js";

/** The five roles of DOMAIN.md §1 plus the plan administrator. */
export const ROLES = ["rep", "manager", "finance", "auditor", "admin"] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling, from a verified token. */
export interface Principal {
  /** The token subject (a person's login, e.g. an e-mail): recorded as the author of writes. */
  readonly sub: string;
  readonly role: Role;
  /** The rep the caller is, for rep and manager tokens. */
  readonly repId?: string;
}

/**
 * How tokens are checked: an HS256 shared secret (at least 32 bytes) or an Ed25519 public key (PEM, SPKI)
 * for EdDSA tokens signed elsewhere. The issuer must match; the audience too when given.
 */
export interface AuthConfig {
  readonly secret?: string;
  readonly publicKey?: string;
  readonly issuer: string;
  readonly audience?: string;
  /** The time tokens are checked against, in epoch milliseconds (tests move it); default the system clock. */
  readonly clock?: () => number;
}

/** A verifier turns an Authorization header into a Principal or throws a 401 ApiError. */
export type TokenVerifier = (authorization: string | undefined) => Promise<Principal>;

/** Shortest HS256 secret accepted: RFC 7518 §3.2 wants a key at least as long as the hash (256 bits). */
export const MIN_SECRET_BYTES = 32;
/** Tolerated clock difference between the token issuer and this server. */
const CLOCK_TOLERANCE_SECONDS = 30;
/** Longest token accepted, to bound the work spent on garbage. */
const MAX_TOKEN_CHARS = 8_192;
/**
 * Tokens that passed verification, kept so that a client's every request does not check the signature
 * again: with WebCrypto's HMAC (or Ed25519) on every request a cached statement cost the server 63-70 µs
 * under load, 25 µs without (docs/benchmarks.md, round 7). Oldest dropped first. Only verified tokens are kept, so garbage
 * tokens cannot fill it, and a kept token is checked against the clock again on every use.
 */
const MAX_VERIFIED_TOKENS = 10_000;

/** A verified token's caller and the time window it is valid in (seconds since the epoch). */
interface VerifiedToken {
  readonly principal: Principal;
  readonly expSeconds: number;
  readonly nbfSeconds: number | undefined;
}

/** jose's own time checks (exp, nbf, with the same tolerance), for a token verified before. */
function inTimeWindow(token: VerifiedToken, nowSeconds: number): boolean {
  if (token.expSeconds <= nowSeconds - CLOCK_TOLERANCE_SECONDS) return false;
  return token.nbfSeconds === undefined || token.nbfSeconds <= nowSeconds + CLOCK_TOLERANCE_SECONDS;
}

const Claims = z
  .object({
    sub: z.string().min(1).max(320),
    role: z.enum(ROLES),
    repId: z.string().min(1).max(200).optional(),
  })
  .refine((c) => (c.role !== "rep" && c.role !== "manager") || c.repId !== undefined, {
    message: "rep and manager tokens must carry repId",
    path: ["repId"],
  });

function secretKey(secret: string): Uint8Array {
  const key = new TextEncoder().encode(secret);
  if (key.length < MIN_SECRET_BYTES)
    throw new Error(`the token secret must be at least ${MIN_SECRET_BYTES} bytes, got ${key.length}`);
  return key;
}

function unauthorized(message: string): ApiError {
  return new ApiError("unauthorized", message);
}

/** Builds the verifier once (imports the key); throws on a configuration error, at startup. */
export async function createTokenVerifier(config: AuthConfig): Promise<TokenVerifier> {
  if ((config.secret === undefined) === (config.publicKey === undefined))
    throw new Error("auth needs exactly one of secret (HS256) or publicKey (EdDSA)");
  if (config.issuer.trim() === "") throw new Error("auth needs an issuer");
  // The HS256 secret is imported as a CryptoKey once: handed over as bytes, jose imports it again on every
  // verify (a WebCrypto importKey per request, ~5 % of the statement route's CPU under load).
  const key: Uint8Array | CryptoKey | KeyObject =
    config.secret !== undefined
      ? await crypto.subtle.importKey(
          "raw",
          secretKey(config.secret),
          { name: "HMAC", hash: "SHA-256" },
          false,
          ["verify"],
        )
      : await importSPKI(config.publicKey ?? "", "EdDSA");
  const algorithms = config.secret !== undefined ? ["HS256"] : ["EdDSA"];
  const clock = config.clock ?? Date.now;
  const verified = new Map<string, VerifiedToken>();
  return async (authorization) => {
    if (authorization === undefined || authorization === "") throw unauthorized("missing bearer token");
    const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(authorization);
    if (match === null || match[1] === undefined)
      throw unauthorized("the Authorization header must be 'Bearer <token>'");
    const token = match[1];
    if (token.length > MAX_TOKEN_CHARS) throw unauthorized("token too long");
    const nowMs = clock();
    const known = verified.get(token);
    if (known !== undefined) {
      if (inTimeWindow(known, Math.floor(nowMs / 1000))) return known.principal;
      // Expired since: verified again below, which refuses it with jose's message.
      verified.delete(token);
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms,
        currentDate: new Date(nowMs),
        issuer: config.issuer,
        ...(config.audience === undefined ? {} : { audience: config.audience }),
        requiredClaims: ["sub", "exp"],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      }));
    } catch (error) {
      // jose's messages name the failed check (expired, signature, issuer) without echoing secrets.
      throw unauthorized(`invalid token: ${(error as Error).message}`);
    }
    const claims = Claims.safeParse(payload);
    if (!claims.success)
      throw unauthorized(
        `invalid token claims: ${claims.error.issues.map((i) => `${i.path.join(".") || "claims"}: ${i.message}`).join("; ")}`,
      );
    const principal: Principal = Object.freeze({
      sub: claims.data.sub,
      role: claims.data.role,
      ...(claims.data.repId === undefined ? {} : { repId: claims.data.repId }),
    });
    // requiredClaims made jose check that exp is there (and a number, as nbf when present).
    if (typeof payload.exp === "number") {
      while (verified.size >= MAX_VERIFIED_TOKENS) {
        const oldest = verified.keys().next();
        if (oldest.done === true) break;
        verified.delete(oldest.value);
      }
      verified.set(token, { principal, expSeconds: payload.exp, nbfSeconds: payload.nbf });
    }
    return principal;
  };
}

export interface SignOptions {
  readonly issuer: string;
  readonly audience?: string;
  /** Lifetime in seconds; default one hour. */
  readonly expiresInSeconds?: number;
  /** Issued-at override (seconds since the epoch), for tests of expiry. */
  readonly issuedAtSeconds?: number;
}

/**
 * Mints an HS256 token (for tests, development and `icm token`). Production deployments normally take tokens
 * from their identity provider and configure `publicKey` instead.
 */
export async function signToken(claims: Principal, secret: string, options: SignOptions): Promise<string> {
  const parsed = Claims.safeParse(claims);
  if (!parsed.success) throw new Error(`bad claims: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
  const iat = options.issuedAtSeconds ?? Math.floor(Date.now() / 1000);
  let jwt = new SignJWT({ role: claims.role, ...(claims.repId === undefined ? {} : { repId: claims.repId }) })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(claims.sub)
    .setIssuer(options.issuer)
    .setIssuedAt(iat)
    .setExpirationTime(iat + (options.expiresInSeconds ?? 3_600));
  if (options.audience !== undefined) jwt = jwt.setAudience(options.audience);
  return jwt.sign(secretKey(secret));
}

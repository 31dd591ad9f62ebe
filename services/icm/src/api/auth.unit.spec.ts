import { exportSPKI, generateKeyPair, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { createTokenVerifier, signToken } from "./auth.js";
import { ApiError } from "./errors.js";

const SECRET = "unit-test-secret-of-at-least-32-bytes!";
const ISSUER = "icm-unit";

async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe("HS256 tokens", () => {
  it("round-trips the claims a role needs", async () => {
    const verify = await createTokenVerifier({ secret: SECRET, issuer: ISSUER });
    const token = await signToken({ sub: "mia@example.com", role: "manager", repId: "mia" }, SECRET, {
      issuer: ISSUER,
    });
    expect(await verify(`Bearer ${token}`)).toEqual({
      sub: "mia@example.com",
      role: "manager",
      repId: "mia",
    });
    const finance = await signToken({ sub: "fin", role: "finance" }, SECRET, { issuer: ISSUER });
    expect(await verify(`Bearer ${finance}`)).toEqual({ sub: "fin", role: "finance" });
  });

  it("answers 401 unauthorized for a missing header, another scheme, a bad signature, issuer or audience", async () => {
    const verify = await createTokenVerifier({ secret: SECRET, issuer: ISSUER, audience: "icm-api" });
    const good = await signToken({ sub: "a", role: "auditor" }, SECRET, {
      issuer: ISSUER,
      audience: "icm-api",
    });
    expect((await verify(`Bearer ${good}`)).role).toBe("auditor");
    for (const header of [
      undefined,
      "",
      `Basic ${good}`,
      `Bearer ${good}x`,
      `Bearer ${await signToken({ sub: "a", role: "auditor" }, `${SECRET}-other`, { issuer: ISSUER, audience: "icm-api" })}`,
      `Bearer ${await signToken({ sub: "a", role: "auditor" }, SECRET, { issuer: "elsewhere", audience: "icm-api" })}`,
      `Bearer ${await signToken({ sub: "a", role: "auditor" }, SECRET, { issuer: ISSUER })}`,
    ]) {
      const error = await rejection(verify(header));
      expect(error.code).toBe("unauthorized");
      expect(error.statusCode).toBe(401);
    }
  });

  it("refuses tokens without an expiry, with an unknown role, or a rep token without repId", async () => {
    const verify = await createTokenVerifier({ secret: SECRET, issuer: ISSUER });
    const key = new TextEncoder().encode(SECRET);
    const noExp = await new SignJWT({ role: "finance" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("x")
      .setIssuer(ISSUER)
      .sign(key);
    expect((await rejection(verify(`Bearer ${noExp}`))).message).toMatch(/exp/);
    const sign = (claims: Record<string, unknown>) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: "HS256" })
        .setSubject("x")
        .setIssuer(ISSUER)
        .setExpirationTime("1h")
        .sign(key);
    expect((await rejection(verify(`Bearer ${await sign({ role: "superuser" })}`))).message).toMatch(/role/);
    expect((await rejection(verify(`Bearer ${await sign({ role: "rep" })}`))).message).toMatch(/repId/);
  });

  it("refuses the 'none' algorithm and a secret shorter than 32 bytes", async () => {
    const verify = await createTokenVerifier({ secret: SECRET, issuer: ISSUER });
    const encode = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const unsigned = `${encode({ alg: "none" })}.${encode({ sub: "x", role: "admin", iss: ISSUER, exp: 9_999_999_999 })}.`;
    await rejection(verify(`Bearer ${unsigned}`));
    await expect(createTokenVerifier({ secret: "short", issuer: ISSUER })).rejects.toThrow(/32 bytes/);
    await expect(createTokenVerifier({ issuer: ISSUER })).rejects.toThrow(/exactly one/);
  });
});

describe("verified tokens are remembered, and still checked against the clock", () => {
  /** 2026-11-27T00:00:00Z in seconds; tokens here are issued at it. */
  const ISSUED_S = 1_795_737_600;
  const TOLERANCE_S = 30;

  it("refuses a remembered token once it has expired, as a fresh verification would", async () => {
    let nowMs = ISSUED_S * 1000;
    const verify = await createTokenVerifier({ secret: SECRET, issuer: ISSUER, clock: () => nowMs });
    const token = await signToken({ sub: "ana", role: "rep", repId: "ana" }, SECRET, {
      issuer: ISSUER,
      issuedAtSeconds: ISSUED_S,
      expiresInSeconds: 600,
    });
    const first = await verify(`Bearer ${token}`);
    expect(await verify(`Bearer ${token}`)).toBe(first); // remembered: the same frozen principal
    nowMs = (ISSUED_S + 600 + TOLERANCE_S - 1) * 1000; // inside the clock tolerance: still valid
    expect(await verify(`Bearer ${token}`)).toEqual({ sub: "ana", role: "rep", repId: "ana" });
    nowMs = (ISSUED_S + 600 + TOLERANCE_S) * 1000;
    expect((await rejection(verify(`Bearer ${token}`))).message).toMatch(/exp/);
    // And stays refused (it was forgotten, not remembered as expired-but-fine).
    expect((await rejection(verify(`Bearer ${token}`))).message).toMatch(/exp/);
  });

  it("never remembers a token that failed, so it is refused until it becomes valid", async () => {
    let nowMs = ISSUED_S * 1000;
    const verify = await createTokenVerifier({ secret: SECRET, issuer: ISSUER, clock: () => nowMs });
    const key = new TextEncoder().encode(SECRET);
    const notYet = await new SignJWT({ role: "finance" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("fin")
      .setIssuer(ISSUER)
      .setNotBefore(ISSUED_S + 3_600)
      .setExpirationTime(ISSUED_S + 7_200)
      .sign(key);
    expect((await rejection(verify(`Bearer ${notYet}`))).message).toMatch(/nbf/);
    expect((await rejection(verify(`Bearer ${notYet}`))).message).toMatch(/nbf/);
    nowMs = (ISSUED_S + 3_600) * 1000;
    expect(await verify(`Bearer ${notYet}`)).toEqual({ sub: "fin", role: "finance" });
  });

  it("checks another token in full even when one like it was verified (a changed signature or claim)", async () => {
    const verify = await createTokenVerifier({ secret: SECRET, issuer: ISSUER });
    const token = await signToken({ sub: "a", role: "auditor" }, SECRET, { issuer: ISSUER });
    expect((await verify(`Bearer ${token}`)).role).toBe("auditor");
    const [header, claims, signature] = token.split(".") as [string, string, string];
    const flipped = `${signature.slice(0, -2)}${signature.endsWith("AA") ? "BA" : "AA"}`;
    await rejection(verify(`Bearer ${header}.${claims}.${flipped}`));
    const asAdmin = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(claims, "base64url").toString()), role: "admin" }),
    ).toString("base64url");
    await rejection(verify(`Bearer ${header}.${asAdmin}.${signature}`));
  });

  it("keeps answering correctly past its bound of remembered tokens", async () => {
    const verify = await createTokenVerifier({ secret: SECRET, issuer: ISSUER });
    const tokens: string[] = [];
    for (let i = 0; i < 10_050; i += 1)
      tokens.push(await signToken({ sub: `u${i}`, role: "finance" }, SECRET, { issuer: ISSUER }));
    for (const token of tokens) await verify(`Bearer ${token}`);
    // The first ones were dropped to make room: verified again, the same answer.
    expect(await verify(`Bearer ${tokens[0]}`)).toEqual({ sub: "u0", role: "finance" });
    expect(await verify(`Bearer ${tokens[10_049]}`)).toEqual({ sub: "u10049", role: "finance" });
  });
});

describe("EdDSA tokens", () => {
  it("verifies tokens signed by an identity provider's Ed25519 key, and only those", async () => {
    const { publicKey, privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const verify = await createTokenVerifier({ publicKey: await exportSPKI(publicKey), issuer: ISSUER });
    const token = await new SignJWT({ role: "rep", repId: "ana" })
      .setProtectedHeader({ alg: "EdDSA" })
      .setSubject("ana@example.com")
      .setIssuer(ISSUER)
      .setExpirationTime("10m")
      .sign(privateKey);
    expect(await verify(`Bearer ${token}`)).toEqual({ sub: "ana@example.com", role: "rep", repId: "ana" });
    // An HS256 token made with any string must not pass as EdDSA (algorithm confusion).
    const hs = await signToken({ sub: "x", role: "admin" }, SECRET, { issuer: ISSUER });
    await rejection(verify(`Bearer ${hs}`));
  });
});

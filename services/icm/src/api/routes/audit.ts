import { PassThrough } from "node:stream";
import { NotFoundError } from "@icm/workflows";
import type { FastifyInstance } from "fastify";
import type { z } from "zod";
import { requireReadRep, requireRole } from "../access.js";
import type { RouteContext } from "../context.js";
import { PeriodParams, ProofParams } from "../schemas.js";
import { routeSchema } from "../validation.js";

const TAGS = ["audit"];

/** Audit: verify a close (auditor, finance), inclusion proofs (whoever may read the rep), bundles (auditor, finance). */
export function auditRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get(
    "/v1/audit/:period/verify",
    {
      schema: routeSchema({
        summary:
          "Replay the log to the close's position in a fresh engine and compare every digest and the chain",
        description:
          'status "reproduced", or "diverged" with the first divergence {repId, line, expected, found} and the first broken log position (brokenAt).',
        tags: TAGS,
        params: PeriodParams,
        ok: {
          description:
            "VerifyReport: status reproduced | diverged, statementsChecked, eventsReplayed, merkleRoot, chainHead, engineVersion, divergence {repId, line, expected, found}, brokenAt, findings",
        },
      }),
    },
    async (request) => {
      requireRole(ctx.principal(request), ["auditor", "finance"]);
      const { period } = request.params as z.output<typeof PeriodParams>;
      return (await ctx.fresh()).verify(period);
    },
  );

  app.get(
    "/v1/audit/:period/proof/:repId",
    {
      schema: routeSchema({
        summary: "Merkle inclusion proof of a rep's closed statement digest, checkable offline",
        tags: TAGS,
        params: ProofParams,
        ok: {
          description:
            "MerkleProof {repId, digest, leafIndex, leafCount, siblings, root}: check with verifyInclusion(proof, close.merkleRoot)",
        },
      }),
    },
    async (request) => {
      const { period, repId } = request.params as z.output<typeof ProofParams>;
      const workspace = await ctx.fresh();
      requireReadRep(ctx.principal(request), repId, workspace, ctx.today);
      return workspace.proof(period, repId);
    },
  );

  app.get(
    "/v1/audit/:period/bundle",
    {
      schema: routeSchema({
        summary:
          "Audit bundle (JSON Lines): the close, then every recorded event; `icm verify-bundle` checks it offline",
        tags: TAGS,
        params: PeriodParams,
        ok: {
          description: "JSON Lines: a header with the close, then every recorded event",
          mediaType: "application/x-ndjson",
        },
      }),
    },
    async (request, reply) => {
      requireRole(ctx.principal(request), ["auditor", "finance"]);
      const { period } = request.params as z.output<typeof PeriodParams>;
      const workspace = await ctx.fresh();
      // Answer 404 before streaming starts: once bytes are sent the status cannot change.
      if (workspace.closeOf(period) === undefined) throw new NotFoundError(`period ${period} is not closed`);
      const body = new PassThrough();
      workspace.exportBundle(period, body).then(
        () => body.end(),
        (error: unknown) => {
          request.log.error({ err: error }, "audit bundle export failed mid-stream");
          body.destroy(error as Error);
        },
      );
      return reply
        .type("application/x-ndjson; charset=utf-8")
        .header("content-disposition", `attachment; filename="audit-${period}.jsonl"`)
        .send(body);
    },
  );
}

import type { FastifyInstance } from "fastify";
import type { z } from "zod";
import { requireRole } from "../access.js";
import type { RouteContext } from "../context.js";
import { CloseBody, PeriodParams } from "../schemas.js";
import { routeSchema } from "../validation.js";

const TAGS = ["payout runs"];

/** Payout runs: preview (finance, auditor), close (finance), payroll export (finance, auditor). */
export function runRoutes(app: FastifyInstance, ctx: RouteContext, now: () => string): void {
  app.get(
    "/v1/runs/:period/preview",
    {
      schema: routeSchema({
        summary:
          "Draft payout run: every statement's payable and digest, totals per currency, open exceptions",
        tags: TAGS,
        params: PeriodParams,
        ok: {
          description:
            "PayoutRunPreview: statements {repId, currency, payable, digest, exceptions}, totals per currency, exceptions, canClose",
        },
      }),
    },
    async (request) => {
      requireRole(ctx.principal(request), ["finance", "auditor"]);
      const { period } = request.params as z.output<typeof PeriodParams>;
      return (await ctx.fresh()).preview(period);
    },
  );

  app.post(
    "/v1/runs/:period/close",
    {
      schema: routeSchema({
        summary:
          "Close a period (refused with 409 close_refused while exceptions are open, unless overridden)",
        description:
          "Appends PeriodClosed with the log position, chain head, plan and engine versions, every statement digest and their Merkle root. 201 when this call closed the period; 200 with the first close when it was already closed.",
        tags: TAGS,
        params: PeriodParams,
        body: CloseBody,
        ok: {
          status: 201,
          description:
            "CloseResult {period, eventId, position, alreadyClosed, close} (200 with the first close when already closed)",
        },
      }),
    },
    async (request, reply) => {
      const principal = ctx.principal(request);
      requireRole(principal, ["finance"]);
      const { period } = request.params as z.output<typeof PeriodParams>;
      const body = request.body as z.output<typeof CloseBody>;
      const workspace = await ctx.fresh();
      const result = await workspace.close(period, {
        actor: principal.sub,
        at: now(),
        ...(body.override === undefined ? {} : { override: { reason: body.override.reason } }),
      });
      return reply.status(result.alreadyClosed ? 200 : 201).send(result);
    },
  );

  app.get(
    "/v1/runs/:period/payroll.csv",
    {
      schema: routeSchema({
        summary: "Payroll CSV: rep, currency, payable, one column per ledger kind; a TOTAL row per currency",
        tags: TAGS,
        params: PeriodParams,
        ok: { description: "RFC 4180 CSV", mediaType: "text/csv" },
      }),
    },
    async (request, reply) => {
      requireRole(ctx.principal(request), ["finance", "auditor"]);
      const { period } = request.params as z.output<typeof PeriodParams>;
      const csv = (await ctx.fresh()).payrollCsv(period);
      return reply
        .type("text/csv; charset=utf-8")
        .header("content-disposition", `attachment; filename="payroll-${period}.csv"`)
        .send(csv);
    },
  );
}

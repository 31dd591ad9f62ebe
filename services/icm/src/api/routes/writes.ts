import { type DomainEvent, makeEvent } from "@icm/events";
import type { FastifyInstance } from "fastify";
import type { z } from "zod";
import { requireRole } from "../access.js";
import type { RouteContext } from "../context.js";
import { AdjustmentBody, PlanBody } from "../schemas.js";
import { routeSchema } from "../validation.js";

/** Writes: adjustments (finance), plan versions and assignments (admin). Idempotent by their natural keys. */
export function writeRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.post(
    "/v1/adjustments",
    {
      schema: routeSchema({
        summary: "Record a manual adjustment on a rep's period (AdjustmentRecorded); author = token subject",
        description:
          "Idempotent by adjustmentId: posting the same adjustment again records nothing (duplicates: 1).",
        tags: ["adjustments"],
        body: AdjustmentBody,
        ok: {
          status: 201,
          description: "{ recorded, duplicates, lastPosition, eventIds } (200 when nothing new was recorded)",
        },
      }),
    },
    async (request, reply) => {
      const principal = ctx.principal(request);
      requireRole(principal, ["finance"]);
      const body = request.body as z.output<typeof AdjustmentBody>;
      const event = makeEvent(
        "AdjustmentRecorded",
        `adjustment-${body.adjustmentId}`,
        {
          adjustmentId: body.adjustmentId,
          repId: body.repId,
          period: body.period,
          amount: body.amount,
          currency: body.currency,
          reason: body.reason,
          author: principal.sub,
          countsTowardQuota: body.countsTowardQuota,
        },
        { source: "icm-api", actor: principal.sub },
      ) as DomainEvent;
      const result = await ctx.writer.write([event]);
      return reply.status(result.recorded > 0 ? 201 : 200).send({ ...result, eventIds: [event.eventId] });
    },
  );

  app.post(
    "/v1/plans",
    {
      schema: routeSchema({
        summary: "Publish a plan version (PlanVersionPublished) and/or assign plans to reps (PlanAssigned)",
        description:
          "Plan definitions are validated by the engine's plan language before anything is recorded. Event ids derive from the natural keys, so a retry records nothing new.",
        tags: ["plans"],
        body: PlanBody,
        ok: {
          status: 201,
          description: "{ recorded, duplicates, lastPosition, eventIds } (200 when nothing new was recorded)",
        },
      }),
    },
    async (request, reply) => {
      const principal = ctx.principal(request);
      requireRole(principal, ["admin"]);
      const body = request.body as z.output<typeof PlanBody>;
      const metadata = { source: "icm-api", actor: principal.sub };
      const events: DomainEvent[] = [];
      if (body.publish !== undefined) {
        const p = body.publish;
        events.push(
          makeEvent(
            "PlanVersionPublished",
            `plan-${p.planId}-v${p.version}`,
            {
              planId: p.planId,
              version: p.version,
              name: p.name,
              definition: p.definition as Record<string, never>,
            },
            metadata,
          ) as DomainEvent,
        );
      }
      for (const a of body.assignments) {
        events.push(
          makeEvent(
            "PlanAssigned",
            `assign-${a.repId}-${a.planId}-v${a.version}-${a.effectiveFrom}`,
            {
              repId: a.repId,
              planId: a.planId,
              version: a.version,
              effectiveFrom: a.effectiveFrom,
              ...(a.effectiveTo === undefined ? {} : { effectiveTo: a.effectiveTo }),
            },
            metadata,
          ) as DomainEvent,
        );
      }
      const result = await ctx.writer.write(events);
      return reply
        .status(result.recorded > 0 ? 201 : 200)
        .send({ ...result, eventIds: events.map((e) => e.eventId) });
    },
  );
}

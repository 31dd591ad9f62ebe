import type { AsOf, IcmWorkspace } from "@icm/workflows";
import type { FastifyInstance } from "fastify";
import type { z } from "zod";
import { requireReadableRep } from "../access.js";
import type { RouteContext } from "../context.js";
import { type CachedBody, etagOf, ifNoneMatchHits, statementKey } from "../response-cache.js";
import { AsOfQuery, DiffQuery, EntryParams, StatementParams, WhatIfBody } from "../schemas.js";
import { routeSchema } from "../validation.js";
import { statementView, whatIfView } from "../views.js";

const TAGS = ["statements"];

function asOf(text: string | undefined): AsOf {
  if (text === undefined) return {};
  return /^\d+$/.test(text) ? { position: Number(text) } : { time: text };
}

/**
 * The statement answer as bytes, from the cache when this (rep, period, log position) was serialised
 * before. Call only AFTER the access check. The key is the position the as-of resolves to now, and whether
 * that is the applied head (the engine's "latest" statement, whose throughPosition follows the head) or a
 * past position (immutable). An as-of the workspace refuses is not cached: the uncached call throws it.
 */
function statementAnswer(
  ctx: RouteContext,
  workspace: IcmWorkspace,
  repId: string,
  period: string,
  at: AsOf,
): CachedBody {
  let position: number;
  try {
    position = workspace.positionOf(at);
  } catch {
    const body = serialise(workspace, repId, period, at); // throws the workspace's own error
    return { body, etag: etagOf(body) };
  }
  const key = statementKey(repId, period, position, position >= workspace.lastPosition);
  const hit = ctx.statementCache.get(key);
  if (hit !== undefined) return hit;
  // Synchronous from here to `set`: no refresh can move the workspace between the key and the body.
  return ctx.statementCache.set(key, serialise(workspace, repId, period, at));
}

/** Exactly what the route answered before the cache: JSON.stringify of the view, as UTF-8. */
function serialise(workspace: IcmWorkspace, repId: string, period: string, at: AsOf): Buffer {
  return Buffer.from(JSON.stringify(statementView(workspace.statement(repId, period, at))), "utf8");
}

/** Statements, explanations, diffs and what-if: reps (own), managers (team), finance and auditors (all). */
export function statementRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get(
    "/v1/statements/:repId/:period",
    {
      schema: routeSchema({
        summary: "A rep's statement for a payout period, with every line's trace",
        description:
          "`asOf` answers what the statement said at a past log position or time (the last event recorded at or before it). Every answer carries a strong `ETag`; a request whose `If-None-Match` holds it gets 304 with no body (after the access check).",
        tags: TAGS,
        params: StatementParams,
        querystring: AsOfQuery,
        ok: {
          description:
            "The statement: entries with traces (inputs, arithmetic, source events and positions), totals per kind, payable, balances, attainment, exceptions, digest; `closed` when frozen by a close",
        },
      }),
    },
    async (request, reply) => {
      const { repId, period } = request.params as z.output<typeof StatementParams>;
      const query = request.query as z.output<typeof AsOfQuery>;
      const workspace = await ctx.fresh();
      // Access first, on every request: a cached body is never an answer to someone who may not read it.
      requireReadableRep(ctx.principal(request), repId, workspace, ctx.today);
      const answer = statementAnswer(ctx, workspace, repId, period, asOf(query.asOf));
      void reply.header("etag", answer.etag);
      if (ifNoneMatchHits(request.headers["if-none-match"], answer.etag)) return reply.status(304).send();
      // The bytes are exactly what JSON.stringify of the view gave (the serializer compiler's output).
      return reply.type("application/json; charset=utf-8").send(answer.body);
    },
  );

  app.get(
    "/v1/statements/:repId/:period/entries/:entryId",
    {
      schema: routeSchema({
        summary: "Explain one statement line: inputs, arithmetic, plan, band and the source events",
        tags: TAGS,
        params: EntryParams,
        querystring: AsOfQuery,
        ok: {
          description:
            "The line: amount, plan, component, band, inputs, arithmetic, explanation, source event ids and log positions, and `text` to show a person",
        },
      }),
    },
    async (request) => {
      const { repId, period, entryId } = request.params as z.output<typeof EntryParams>;
      const query = request.query as z.output<typeof AsOfQuery>;
      const workspace = await ctx.fresh();
      requireReadableRep(ctx.principal(request), repId, workspace, ctx.today);
      return workspace.explain(repId, period, entryId, asOf(query.asOf));
    },
  );

  app.get(
    "/v1/statements/:repId/:period/diff",
    {
      schema: routeSchema({
        summary: "What changed on a statement between two log positions, and the events behind each change",
        tags: TAGS,
        params: StatementParams,
        querystring: DiffQuery,
        ok: {
          description:
            "payableBefore/After/Delta and per entry added/removed/changed with the events (ids, positions) behind each",
        },
      }),
    },
    async (request) => {
      const { repId, period } = request.params as z.output<typeof StatementParams>;
      const { from, to } = request.query as z.output<typeof DiffQuery>;
      const workspace = await ctx.fresh();
      requireReadableRep(ctx.principal(request), repId, workspace, ctx.today);
      return workspace.diff(repId, period, from, to);
    },
  );

  app.post(
    "/v1/what-if",
    {
      schema: routeSchema({
        summary: "Estimate what a hypothetical deal would pay a rep (same engine, nothing recorded)",
        tags: TAGS,
        body: WhatIfBody,
        ok: {
          description:
            "{ repId, currency, payableDelta, periods, entries }: the lines the deal would add or change",
        },
      }),
    },
    async (request) => {
      const { repId, deal } = request.body as z.output<typeof WhatIfBody>;
      const workspace = await ctx.fresh();
      requireReadableRep(ctx.principal(request), repId, workspace, ctx.today);
      const result = workspace.whatIf(repId, {
        amount: deal.amount,
        currency: deal.currency,
        closeDate: deal.closeDate,
        product: deal.product,
        dealType: deal.dealType,
        ...(deal.share === undefined ? {} : { share: deal.share }),
      });
      const first = result.periods[0];
      const scale = first === undefined ? undefined : workspace.statement(repId, first).scale;
      return whatIfView(repId, result, scale);
    },
  );
}

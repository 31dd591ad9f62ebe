import type { AsOf } from "@icm/workflows";
import type { FastifyInstance } from "fastify";
import type { z } from "zod";
import { requireReadableRep } from "../access.js";
import type { RouteContext } from "../context.js";
import { AsOfQuery, DiffQuery, EntryParams, StatementParams, WhatIfBody } from "../schemas.js";
import { routeSchema } from "../validation.js";
import { statementView, whatIfView } from "../views.js";

const TAGS = ["statements"];

function asOf(text: string | undefined): AsOf {
  if (text === undefined) return {};
  return /^\d+$/.test(text) ? { position: Number(text) } : { time: text };
}

/** Statements, explanations, diffs and what-if: reps (own), managers (team), finance and auditors (all). */
export function statementRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get(
    "/v1/statements/:repId/:period",
    {
      schema: routeSchema({
        summary: "A rep's statement for a payout period, with every line's trace",
        description:
          "`asOf` answers what the statement said at a past log position or time (the last event recorded at or before it).",
        tags: TAGS,
        params: StatementParams,
        querystring: AsOfQuery,
        ok: {
          description:
            "The statement: entries with traces (inputs, arithmetic, source events and positions), totals per kind, payable, balances, attainment, exceptions, digest; `closed` when frozen by a close",
        },
      }),
    },
    async (request) => {
      const { repId, period } = request.params as z.output<typeof StatementParams>;
      const query = request.query as z.output<typeof AsOfQuery>;
      const workspace = await ctx.fresh();
      requireReadableRep(ctx.principal(request), repId, workspace, ctx.today);
      return statementView(workspace.statement(repId, period, asOf(query.asOf)));
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

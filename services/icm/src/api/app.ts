import swagger from "@fastify/swagger";
import type { IcmWorkspace } from "@icm/workflows";
import Fastify, { type FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { Today } from "./access.js";
import { type AuthConfig, createTokenVerifier } from "./auth.js";
import { principalOf, type RouteContext, setPrincipal } from "./context.js";
import { ApiError, errorHandler } from "./errors.js";
import { coalescedRefresh } from "./freshness.js";
import { DEFAULT_STATEMENT_CACHE_BYTES, ResponseCache } from "./response-cache.js";
import { auditRoutes } from "./routes/audit.js";
import { runRoutes } from "./routes/runs.js";
import { statementRoutes } from "./routes/statements.js";
import { writeRoutes } from "./routes/writes.js";
import { plainJsonSerializerCompiler, routeSchema, zodValidatorCompiler } from "./validation.js";
import { type EventWriter, workspaceWriter } from "./writer.js";

export const API_VERSION = "1.0.0";
/** Largest request body: a plan definition with many components and a batch of assignments fits easily. */
export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

export interface ApiAppOptions {
  readonly workspace: IcmWorkspace;
  readonly auth: AuthConfig;
  readonly logger?: Logger;
  /** How write routes record events; default: straight into the workspace's store. */
  readonly writer?: EventWriter;
  /**
   * Today's date (YYYY-MM-DD) for "a manager's team as of today". Access control only, never a calculation;
   * defaults to the server's UTC date.
   */
  readonly today?: Today;
  /** The instant recorded as a close's `closedAt` (informational). Defaults to the server clock. */
  readonly now?: () => string;
  readonly bodyLimitBytes?: number;
  /** Bound on the serialised statements kept for reuse (0 = keep none); default 256 MiB. */
  readonly statementCacheBytes?: number;
}

// The server clock, read only for access control ("today") and the informational closedAt.
const serverNow = (): string => new Date(Date.now()).toISOString();
const serverToday = (): string => serverNow().slice(0, 10);

/**
 * The HTTP API (Fastify): statements, payout runs, adjustments, plans and audit over one IcmWorkspace, with
 * zod-validated input, bearer-token roles, JSON errors `{ error: { code, message, details? } }` and an
 * OpenAPI 3 document at GET /openapi.json. Call `listen` on the result; `close` does not close the store.
 */
export async function buildApiApp(options: ApiAppOptions): Promise<FastifyInstance> {
  const verify = await createTokenVerifier(options.auth);
  const app = Fastify({
    ...(options.logger === undefined ? { logger: false } : { loggerInstance: options.logger }),
    bodyLimit: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    // Route params are ids like "ana" or "2026-Q1"; anything long is not one of ours.
    routerOptions: { maxParamLength: 500 },
  }) as unknown as FastifyInstance;
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(plainJsonSerializerCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({
      error: { code: "not_found", message: `no route ${request.method} ${request.url.split("?")[0]}` },
    });
  });

  await app.register(swagger, {
    openapi: {
      openapi: "3.0.3",
      info: {
        title: "ICM API",
        version: API_VERSION,
        description:
          "Event-sourced incentive compensation: statements with traces, payout runs and closes, audit replay. Errors are `{ error: { code, message, details? } }`.",
      },
      components: {
        securitySchemes: { bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT" } },
      },
    },
  });

  // Authentication first (401 before any validation or lookup); public routes opt out by config.
  app.addHook("onRequest", async (request) => {
    const config = request.routeOptions.config as { public?: boolean } | undefined;
    if (config?.public === true) return;
    setPrincipal(request, await verify(request.headers.authorization));
  });

  const refresh = coalescedRefresh(() => options.workspace.refresh());
  const ctx: RouteContext = {
    workspace: options.workspace,
    writer: options.writer ?? workspaceWriter(options.workspace),
    today: options.today ?? serverToday,
    principal: principalOf,
    fresh: async () => {
      await refresh();
      return options.workspace;
    },
    statementCache: new ResponseCache(options.statementCacheBytes ?? DEFAULT_STATEMENT_CACHE_BYTES),
  };

  app.get(
    "/health",
    {
      config: { public: true },
      schema: routeSchema({
        summary: "Liveness: the process answers",
        tags: ["operations"],
        secured: false,
        ok: { description: '{ status: "ok" }' },
      }),
    },
    async () => ({ status: "ok" }),
  );
  app.get(
    "/ready",
    {
      config: { public: true },
      schema: routeSchema({
        summary: "Readiness: the event store answers (503 not_ready otherwise)",
        tags: ["operations"],
        secured: false,
        ok: { description: '{ status: "ready", headPosition, appliedPosition }' },
      }),
    },
    async (request) => {
      try {
        const head = await options.workspace.store.head();
        return {
          status: "ready",
          headPosition: head.globalPosition,
          appliedPosition: options.workspace.lastPosition,
        };
      } catch (error) {
        request.log.warn({ err: error }, "event store not reachable");
        throw new ApiError("not_ready", "the event store does not answer");
      }
    },
  );
  app.get(
    "/openapi.json",
    {
      config: { public: true },
      schema: routeSchema({
        summary: "This OpenAPI 3 document",
        tags: ["operations"],
        secured: false,
        ok: { description: "OpenAPI 3.0 JSON" },
      }),
    },
    async () => app.swagger(),
  );

  statementRoutes(app, ctx);
  runRoutes(app, ctx, options.now ?? serverNow);
  writeRoutes(app, ctx);
  auditRoutes(app, ctx);
  await app.ready();
  return app;
}

import type { IcmWorkspace } from "@icm/workflows";
import type { FastifyRequest } from "fastify";
import type { Today } from "./access.js";
import type { Principal } from "./auth.js";
import { ApiError } from "./errors.js";
import type { ResponseCache } from "./response-cache.js";
import type { EventWriter } from "./writer.js";

/** What every route module gets: the workspace, how to write, and the caller. */
export interface RouteContext {
  readonly workspace: IcmWorkspace;
  readonly writer: EventWriter;
  readonly today: Today;
  /** The authenticated caller of a secured route (set by the onRequest hook). */
  principal(request: FastifyRequest): Principal;
  /**
   * Brings the workspace up to the store's head before a read, so events recorded by other processes (the
   * pipeline's recorder, another API instance, the CLI) are visible. One page read when nothing is new;
   * concurrent callers share one read that started after they called (freshness.ts).
   */
  fresh(): Promise<IcmWorkspace>;
  /** Serialised statement answers by (rep, period, log position); checked only after access control. */
  readonly statementCache: ResponseCache;
}

const principals = new WeakMap<FastifyRequest, Principal>();

export function setPrincipal(request: FastifyRequest, principal: Principal): void {
  principals.set(request, principal);
}

export function principalOf(request: FastifyRequest): Principal {
  const p = principals.get(request);
  // A secured route without the auth hook would be a wiring bug: fail closed.
  if (p === undefined) throw new ApiError("unauthorized", "missing bearer token");
  return p;
}

import { CloseRefusedError, InvalidInputError, NotFoundError, WorkflowError } from "@icm/workflows";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";

/**
 * Every error the API answers with has this body. `code` is stable (clients branch on it); `message` is for
 * people; `details` carries structured extras (the fields that failed validation, the open exceptions).
 */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly details?: unknown };
}

/** The stable error codes of the API (docs/api.md lists them with their HTTP status). */
export const ERROR_CODES = {
  invalid_request: 400,
  invalid_input: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  close_refused: 409,
  payload_too_large: 413,
  not_ready: 503,
  internal: 500,
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;

/** An error the routes throw on purpose; the error handler turns it into its status and body. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly statusCode: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.statusCode = ERROR_CODES[code];
  }
}

/** One failed rule of a request: where (`in` and the field path) and what. */
export interface FieldIssue {
  readonly in: "body" | "params" | "querystring" | "headers";
  readonly field: string;
  readonly rule: string;
}

/** Thrown by the zod validator compiler; carries every issue so the client can fix them all at once. */
export class RequestValidationError extends Error {
  override readonly name = "RequestValidationError";
  readonly statusCode = 400;
  constructor(readonly issues: readonly FieldIssue[]) {
    super(
      `invalid request: ${issues
        .slice(0, 5)
        .map((i) => `${i.in}.${i.field}: ${i.rule}`)
        .join("; ")}${issues.length > 5 ? ` (and ${issues.length - 5} more)` : ""}`,
    );
  }
}

/**
 * The one 403 body. It is the same for every denial, whatever was asked for, so a denial tells a caller
 * nothing about whether the rep, period or entry exists.
 */
export const FORBIDDEN: ErrorBody = { error: { code: "forbidden", message: "forbidden" } };

export function forbidden(): ApiError {
  return new ApiError("forbidden", "forbidden");
}

/** Maps any thrown error to a status and an ErrorBody. Unknown errors are 500 and logged, not echoed. */
export function toErrorResponse(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof ApiError) {
    if (error.code === "forbidden") return { status: 403, body: FORBIDDEN };
    return {
      status: error.statusCode,
      body: {
        error: {
          code: error.code,
          message: error.message,
          ...(error.details === undefined ? {} : { details: error.details }),
        },
      },
    };
  }
  if (error instanceof RequestValidationError) {
    return {
      status: 400,
      body: { error: { code: "invalid_request", message: error.message, details: error.issues } },
    };
  }
  if (error instanceof CloseRefusedError) {
    return {
      status: 409,
      body: {
        error: {
          code: error.code,
          message: error.message,
          details: {
            period: error.period,
            exceptions: error.exceptions.map((x) => ({
              code: x.code,
              message: x.message,
              ...(x.repId === undefined ? {} : { repId: x.repId }),
              ...(x.period === undefined ? {} : { period: x.period }),
              ...(x.dealId === undefined ? {} : { dealId: x.dealId }),
              sourceEventIds: x.sourceEventIds,
            })),
          },
        },
      },
    };
  }
  if (error instanceof InvalidInputError) {
    return {
      status: 400,
      body: {
        error: {
          code: error.code,
          message: error.message,
          ...(error.issues.length === 0
            ? {}
            : { details: error.issues.map((i) => ({ field: i.path, rule: i.rule })) }),
        },
      },
    };
  }
  if (error instanceof NotFoundError) {
    return { status: 404, body: { error: { code: error.code, message: error.message } } };
  }
  if (error instanceof WorkflowError) {
    return { status: 400, body: { error: { code: error.code, message: error.message } } };
  }
  const fastify = error as Partial<FastifyError>;
  // Fastify's own client errors (malformed JSON, body too large, wrong content type): keep them 4xx.
  if (typeof fastify.statusCode === "number" && fastify.statusCode >= 400 && fastify.statusCode < 500) {
    if (fastify.statusCode === 413)
      return {
        status: 413,
        body: { error: { code: "payload_too_large", message: fastify.message ?? "too large" } },
      };
    return {
      status: fastify.statusCode,
      body: { error: { code: "invalid_request", message: fastify.message ?? "invalid request" } },
    };
  }
  return { status: 500, body: { error: { code: "internal", message: "internal error" } } };
}

/** Fastify error handler: stable JSON for every error; 5xx logged with the stack, never sent. */
export function errorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = toErrorResponse(error);
  if (status >= 500) request.log.error({ err: error }, "request failed");
  void reply.status(status).type("application/json; charset=utf-8").send(body);
}

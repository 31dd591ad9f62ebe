import type { FastifySchema, FastifySchemaCompiler } from "fastify";
import { z } from "zod";
import { type FieldIssue, RequestValidationError } from "./errors.js";

// Requests are validated by zod (the same library as the event schemas), not by Fastify's ajv. Each route
// declares zod schemas; `routeSchema` turns them into the JSON Schema that OpenAPI publishes and remembers
// which zod schema stands behind each JSON Schema object, so the validator compiler runs zod.

type Part = "body" | "params" | "querystring";

const zodOf = new WeakMap<object, { part: Part; schema: z.ZodType }>();

function toJsonSchema(schema: z.ZodType): Record<string, unknown> {
  // io "input": document what clients send (before defaults and transforms).
  const json = z.toJSONSchema(schema, {
    io: "input",
    unrepresentable: "any",
    target: "openapi-3.0",
  }) as Record<string, unknown>;
  delete json.$schema;
  return json;
}

export interface RouteSchemaInput {
  readonly summary: string;
  readonly description?: string;
  readonly tags: readonly string[];
  readonly params?: z.ZodType;
  readonly querystring?: z.ZodType;
  readonly body?: z.ZodType;
  /** The success answer, for the OpenAPI document (responses are serialised with plain JSON.stringify). */
  readonly ok: {
    readonly status?: number;
    readonly description: string;
    /** Non-JSON answers (CSV, JSON Lines) name their media type. */
    readonly mediaType?: string;
  };
  /** False for the unauthenticated probes. */
  readonly secured?: boolean;
}

const ErrorBodySchema = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message"],
      properties: {
        code: { type: "string", description: "stable machine-readable code (docs/api.md)" },
        message: { type: "string", description: "for people" },
        details: { description: "structured extras: failed fields, open exceptions" },
      },
    },
  },
} as const;

/** Documented error answers; `description` is what OpenAPI shows. */
function ERROR_RESPONSES(secured: boolean): Record<string, unknown> {
  return {
    "4xx": {
      ...ErrorBodySchema,
      description: secured
        ? "400 invalid_request / invalid_input, 401 unauthorized, 403 forbidden, 404 not_found, 409 close_refused"
        : "400 invalid_request, 404 not_found",
    },
    "5xx": { ...ErrorBodySchema, description: "500 internal, 503 not_ready" },
  };
}

/** The Fastify route schema (OpenAPI via @fastify/swagger) for a route whose inputs are zod schemas. */
export function routeSchema(input: RouteSchemaInput): FastifySchema {
  const out: Record<string, unknown> = {
    summary: input.summary,
    tags: [...input.tags],
    ...(input.description === undefined ? {} : { description: input.description }),
    ...(input.secured === false ? {} : { security: [{ bearerAuth: [] }] }),
  };
  for (const part of ["params", "querystring", "body"] as const) {
    const schema = input[part];
    if (schema === undefined) continue;
    const json = toJsonSchema(schema);
    zodOf.set(json, { part, schema });
    out[part] = json;
  }
  const ok =
    input.ok.mediaType === undefined
      ? { description: input.ok.description, type: "object", additionalProperties: true }
      : {
          description: input.ok.description,
          content: { [input.ok.mediaType]: { schema: { type: "string" } } },
        };
  out.response = { [input.ok.status ?? 200]: ok, ...ERROR_RESPONSES(input.secured !== false) };
  return out as FastifySchema;
}

/**
 * Response schemas are documentation only: every answer is serialised with JSON.stringify, so a schema can
 * never silently drop a field that the handler returned.
 */
export const plainJsonSerializerCompiler = () => (data: unknown) => JSON.stringify(data);

/** zod issues → the API's field issues ("splits.0.share", "must be ..."). */
export function fieldIssues(part: FieldIssue["in"], error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({
    in: part,
    field: issue.path.length === 0 ? "(root)" : issue.path.map(String).join("."),
    rule: issue.message,
  }));
}

/**
 * Fastify validator compiler that runs the zod schema registered by `routeSchema`. The parsed (coerced,
 * defaulted) value replaces the raw input, so handlers read typed data. A schema not made by `routeSchema`
 * is a programming error, caught when the route is registered.
 */
export const zodValidatorCompiler: FastifySchemaCompiler<unknown> = ({ schema }) => {
  const entry = zodOf.get(schema as object);
  if (entry === undefined) throw new Error("route schemas must be built with routeSchema() (zod)");
  const { part, schema: zodSchema } = entry;
  return (data: unknown) => {
    // Fastify hands a missing body over as null; treat it as absent so optional bodies may be left out.
    const result = zodSchema.safeParse(part === "body" && data === null ? undefined : data);
    if (result.success) return { value: result.data };
    return { error: new RequestValidationError(fieldIssues(part, result.error)) };
  };
};

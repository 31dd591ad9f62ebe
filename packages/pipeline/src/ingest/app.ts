import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { type FastifyError, type FastifyInstance, type FastifyReply, fastify, LogController } from "fastify";
import type { Logger } from "pino";
import { verbatim } from "../dead-letter/record.js";
import { type DeadLetterStore, deadLetterAt } from "../dead-letter/store.js";
import type { ReadinessProbe } from "../health/readiness.js";
import type { EventPublisher } from "../nats/publisher.js";
import { type InvalidItem, readBody, summarizeIssues, validateBatch, withCorrelationId } from "./batch.js";
import { mapBounded } from "./bounded.js";
import { defaultValidator, type EventValidator } from "./validator.js";

export interface IngestLimits {
  /** Largest request body accepted, in bytes (413 body_too_large above it). */
  readonly bodyLimitBytes: number;
  /** Most events in one request (413 batch_too_large above it). */
  readonly maxBatchEvents: number;
  /**
   * Largest single event, in bytes of its JSON text (413 event_too_large above it). Keeps every event, and
   * every dead letter wrapping one verbatim, inside one NATS message (max_payload, 1 MiB by default).
   */
  readonly maxEventBytes?: number;
}

export const DEFAULT_MAX_EVENT_BYTES = 256 * 1024;

export const DEFAULT_INGEST_LIMITS: IngestLimits = {
  bodyLimitBytes: 4 * 1024 * 1024,
  maxBatchEvents: 5_000,
  maxEventBytes: DEFAULT_MAX_EVENT_BYTES,
};

export interface IngestAppOptions {
  readonly publisher: EventPublisher;
  readonly deadLetters: Pick<DeadLetterStore, "add">;
  readonly limits: IngestLimits;
  readonly logger: Logger;
  /** GET /ready; without it the app reports ready whenever it is up. */
  readonly readiness?: ReadinessProbe;
  readonly validate?: EventValidator;
  /** Edge clock for dead-letter receivedAt stamps. */
  readonly now?: () => Date;
}

/** Error body of every non-2xx answer: a stable code for programs, a sentence for people. */
export interface IngestError {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly invalid?: readonly InvalidItem[];
    readonly correlationId: string;
  };
}

export interface IngestAccepted {
  /** Events in the request, all now in the event stream. */
  readonly accepted: number;
  /** Of those, how many the stream already had (same eventId): acknowledged, not stored twice. */
  readonly duplicates: number;
  readonly eventIds: readonly string[];
  readonly correlationId: string;
}

export const CORRELATION_HEADER = "x-correlation-id";
const CORRELATION_ID = /^[\x21-\x7e]{1,200}$/;
/** Dead-letter writes in flight for one request. */
const DEAD_LETTER_CONCURRENCY = 32;

/** The caller's correlation id when it is sane (printable, ≤ 200 chars); a fresh UUID otherwise. */
function correlationIdOf(request: IncomingMessage): string {
  const header = request.headers[CORRELATION_HEADER];
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && CORRELATION_ID.test(value) ? value : randomUUID();
}

function fail(
  reply: FastifyReply,
  status: number,
  code: string,
  message: string,
  correlationId: string,
  invalid?: readonly InvalidItem[],
): IngestError {
  reply.code(status);
  return { error: invalid ? { code, message, invalid, correlationId } : { code, message, correlationId } };
}

/**
 * The HTTP edge of the pipeline. POST /events validates, then either publishes every event and answers
 * 202 once the stream has acknowledged all of them, or publishes nothing, dead-letters every invalid item
 * verbatim and answers 400 naming each field and rule. GET /health is liveness, GET /ready readiness.
 */
export function buildIngestApp(options: IngestAppOptions): FastifyInstance {
  const validate = options.validate ?? defaultValidator;
  const now = options.now ?? (() => new Date());
  const { limits } = options;
  const maxEventBytes = limits.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
  if (!(limits.bodyLimitBytes >= 1 && limits.maxBatchEvents >= 1))
    throw new RangeError("limits must be at least 1");

  const app = fastify({
    loggerInstance: options.logger,
    genReqId: correlationIdOf,
    logController: new LogController({ requestIdLogLabel: "correlationId" }),
    bodyLimit: limits.bodyLimitBytes,
    // Let in-flight requests finish on close (graceful shutdown) while refusing new ones with 503.
    return503OnClosing: true,
    forceCloseConnections: "idle",
  }) as unknown as FastifyInstance;

  // Bodies are taken as raw bytes so the exact input can be dead-lettered, even when it is not JSON.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (_request, body, done) => {
    done(null, body);
  });

  // Keep-alive connections would hold close() open after their last response: while closing, every
  // answer tells the client to hang up, so in-flight requests finish and the server can stop.
  let closing = false;
  app.addHook("preClose", async () => {
    closing = true;
  });
  app.addHook("onRequest", async (request, reply) => {
    reply.header(CORRELATION_HEADER, request.id);
  });
  app.addHook("onSend", async (_request, reply) => {
    if (closing) reply.header("connection", "close");
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const correlationId = request.id;
    if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      const length = Number(request.headers["content-length"]);
      const size =
        Number.isSafeInteger(length) && length > 0 ? `body is ${length} bytes` : "body is larger than that";
      return reply.send(
        fail(
          reply,
          413,
          "body_too_large",
          `${size}; the limit is ${limits.bodyLimitBytes} bytes`,
          correlationId,
        ),
      );
    }
    if (error.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
      return reply.send(
        fail(reply, 415, "unsupported_media_type", "send events as application/json", correlationId),
      );
    }
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.send(fail(reply, error.statusCode, "bad_request", error.message, correlationId));
    }
    request.log.error({ err: error }, "request failed");
    return reply.send(fail(reply, 500, "internal_error", "the request failed; retry later", correlationId));
  });

  app.get("/health", async () => ({ status: "ok" }));

  app.get("/ready", async (_request, reply) => {
    const report = options.readiness ? await options.readiness() : { ready: true, checks: [] };
    reply.code(report.ready ? 200 : 503);
    return report;
  });

  app.post("/events", async (request, reply): Promise<IngestAccepted | IngestError> => {
    const correlationId = request.id;
    const bytes = request.body instanceof Buffer ? request.body : Buffer.alloc(0);
    if (bytes.length === 0)
      return fail(
        reply,
        400,
        "empty_body",
        'send one event, a JSON array of events or { "events": [...] }',
        correlationId,
      );
    const input = verbatim(bytes);
    const receivedAt = now();

    const keep = async (
      reason: string,
      record: {
        original: string;
        originalEncoding: "utf8" | "base64";
        eventId?: string;
        issues?: InvalidItem["issues"];
      },
    ) =>
      options.deadLetters.add(
        deadLetterAt(receivedAt, { reason, source: "ingest", correlationId, ...record }),
      );

    const body =
      input.originalEncoding === "utf8"
        ? readBody(input.original)
        : { ok: false as const, message: "body is not UTF-8 text" };
    if (!body.ok) {
      if (bytes.length > maxEventBytes) {
        // Too big to fit in one dead-letter message; the sender still has it and is told so.
        request.log.warn({ reason: body.message, bytes: bytes.length }, "body refused, too large to keep");
        return fail(
          reply,
          400,
          "invalid_json",
          `${body.message} (the body was not kept: it is over ${maxEventBytes} bytes)`,
          correlationId,
        );
      }
      try {
        await keep(body.message, input);
      } catch (error) {
        request.log.error({ err: error }, "dead-letter store unavailable");
        return fail(
          reply,
          503,
          "dead_letter_unavailable",
          `${body.message}; it could not be kept, retry later`,
          correlationId,
        );
      }
      request.log.warn({ reason: body.message }, "body dead-lettered");
      return fail(reply, 400, "invalid_json", body.message, correlationId);
    }

    const { items } = body;
    if (items.length > limits.maxBatchEvents) {
      return fail(
        reply,
        413,
        "batch_too_large",
        `batch has ${items.length} events; the limit is ${limits.maxBatchEvents}`,
        correlationId,
      );
    }
    if (items.length === 0) return fail(reply, 400, "empty_batch", "the batch has no events", correlationId);
    const oversized = items.findIndex((item) => Buffer.byteLength(item.text) > maxEventBytes);
    if (oversized >= 0) {
      const size = Buffer.byteLength((items[oversized] as { text: string }).text);
      return fail(
        reply,
        413,
        "event_too_large",
        `event ${oversized} is ${size} bytes; the limit is ${maxEventBytes} bytes`,
        correlationId,
      );
    }

    const checked = validateBatch(items, validate);
    if (!checked.ok) {
      try {
        await mapBounded(checked.invalid, DEAD_LETTER_CONCURRENCY, (bad) => {
          const item = items[bad.index] as { text: string };
          const reason = `invalid event: ${summarizeIssues(bad.issues)}`;
          const record = { original: item.text, originalEncoding: "utf8" as const, issues: bad.issues };
          return keep(reason, bad.eventId === undefined ? record : { ...record, eventId: bad.eventId });
        });
      } catch (error) {
        request.log.error({ err: error }, "dead-letter store unavailable");
        return fail(
          reply,
          503,
          "dead_letter_unavailable",
          "invalid events could not be kept; retry later",
          correlationId,
          checked.invalid,
        );
      }
      const message =
        items.length === 1
          ? `the event is invalid: ${summarizeIssues(checked.invalid[0]?.issues ?? [])}`
          : `${checked.invalid.length} of ${items.length} events are invalid; nothing was published`;
      request.log.warn(
        { invalid: checked.invalid.length, events: items.length },
        "invalid events dead-lettered",
      );
      return fail(reply, 400, "invalid_events", message, correlationId, checked.invalid);
    }

    const events = checked.events.map((event) => withCorrelationId(event, correlationId));
    try {
      const result = await options.publisher.publish(events);
      request.log.info({ events: events.length, duplicates: result.duplicates }, "events published");
      reply.code(202);
      return {
        accepted: events.length,
        duplicates: result.duplicates,
        eventIds: events.map((e) => e.eventId),
        correlationId,
      };
    } catch (error) {
      request.log.error({ err: error }, "publish failed");
      return fail(
        reply,
        503,
        "publish_failed",
        "the events could not be stored; retry the same request later",
        correlationId,
      );
    }
  });

  return app;
}

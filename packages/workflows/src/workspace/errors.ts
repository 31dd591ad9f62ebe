import type { CalculationException } from "@icm/engine";

/**
 * Typed failures of the application layer. Callers (CLI, HTTP API) map them to exit codes and status codes by
 * type, never by message; `code` is the stable machine-readable name.
 */
export abstract class WorkflowError extends Error {
  abstract readonly code: string;
}

/** Bad input from the caller: an unknown period id, a malformed event, a position out of range. */
export class InvalidInputError extends WorkflowError {
  override readonly name = "InvalidInputError";
  readonly code = "invalid_input";
  constructor(
    message: string,
    readonly issues: readonly { path: string; rule: string }[] = [],
  ) {
    super(message);
  }
}

/** Something asked for does not exist (no close for the period, no such entry on the statement). */
export class NotFoundError extends WorkflowError {
  override readonly name = "NotFoundError";
  readonly code = "not_found";
}

/** Close refused: exceptions affecting the period are open and finance gave no override reason. */
export class CloseRefusedError extends WorkflowError {
  override readonly name = "CloseRefusedError";
  readonly code = "close_refused";
  constructor(
    readonly period: string,
    readonly exceptions: readonly CalculationException[],
  ) {
    super(
      `period ${period} has ${exceptions.length} open exception(s); resolve them or close with an override reason`,
    );
  }
}

/**
 * Errors that cross layers carry a stable `code`; the HTTP layer maps codes to statuses once
 * (see http/plugins/errors.ts) and the CLI prints the message.
 */
export type ErrorCode =
  | 'validation_error'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'method_not_allowed'
  | 'internal_error'
  /** A dependency (the database) cannot be reached right now; retrying later may succeed. */
  | 'unavailable';

export class AppError extends Error {
  readonly code: ErrorCode;
  /** The request field at fault, when one is (e.g. `grace_seconds`, `schedule`). */
  readonly field: string | undefined;

  constructor(code: ErrorCode, message: string, field?: string) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.field = field;
  }
}

export function invalid(field: string, message: string): AppError {
  return new AppError('validation_error', `${field}: ${message}`, field);
}

export function notFound(what: string): AppError {
  return new AppError('not_found', `${what} not found`);
}

/**
 * Typed errors shared by every part. Each boundary converts them once:
 * the control plane to gRPC status codes (`toGrpcStatus`), the CLI to one
 * line and an exit code.
 */

export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'FAILED_PRECONDITION'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'UNAVAILABLE'
  | 'ABORTED'
  | 'RESOURCE_EXHAUSTED'
  | 'INTERNAL';

export class FleetError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Bad input. `field` names the offending field in its wire form (`spec.image`). */
export class ValidationError extends FleetError {
  readonly field: string;
  constructor(field: string, problem: string) {
    super('INVALID_ARGUMENT', `${field}: ${problem}`);
    this.field = field;
  }
}

export class NotFoundError extends FleetError {
  constructor(message: string) {
    super('NOT_FOUND', message);
  }
}

export class ConflictError extends FleetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ABORTED', message, options);
  }
}

/** A name (a node's, a token's) that must be unique is taken. */
export class AlreadyExistsError extends FleetError {
  constructor(message: string) {
    super('ALREADY_EXISTS', message);
  }
}

export class PreconditionError extends FleetError {
  constructor(message: string) {
    super('FAILED_PRECONDITION', message);
  }
}

export class AuthError extends FleetError {
  constructor(message: string) {
    super('UNAUTHENTICATED', message);
  }
}

export class PermissionError extends FleetError {
  constructor(message: string) {
    super('PERMISSION_DENIED', message);
  }
}

export class UnavailableError extends FleetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('UNAVAILABLE', message, options);
  }
}

/** Out of room: a store that cannot take another write (a full disk). Reads still work. */
export class ResourceExhaustedError extends FleetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('RESOURCE_EXHAUSTED', message, options);
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The one conversion of our errors to gRPC statuses, at the server boundary. */
import * as grpc from '@grpc/grpc-js';
import { FleetError, type ErrorCode } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';

const CODES: Record<ErrorCode, grpc.status> = {
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  NOT_FOUND: grpc.status.NOT_FOUND,
  ALREADY_EXISTS: grpc.status.ALREADY_EXISTS,
  FAILED_PRECONDITION: grpc.status.FAILED_PRECONDITION,
  UNAUTHENTICATED: grpc.status.UNAUTHENTICATED,
  PERMISSION_DENIED: grpc.status.PERMISSION_DENIED,
  UNAVAILABLE: grpc.status.UNAVAILABLE,
  ABORTED: grpc.status.ABORTED,
  RESOURCE_EXHAUSTED: grpc.status.RESOURCE_EXHAUSTED,
  INTERNAL: grpc.status.INTERNAL,
};

export function toGrpcStatus(err: unknown, log: Logger): Partial<grpc.StatusObject> {
  if (err instanceof FleetError) return { code: CODES[err.code], details: err.message };
  // Anything else is our bug: log it whole, tell the caller little.
  log.error({ err }, 'unexpected error in request');
  return { code: grpc.status.INTERNAL, details: 'internal error (see the control plane log)' };
}

/** A status code's name, as metrics and logs label calls ("INVALID_ARGUMENT", not 3). */
export function codeName(code: number | undefined): string {
  return grpc.status[code ?? grpc.status.UNKNOWN] ?? String(code);
}

/**
 * The adapters' error taxonomy. Every SDK exception is translated at the adapter boundary
 * into an {@link AwsCallError} whose `kind` says what the operator should do about it.
 */
import { DmsEventBusError } from '../src/errors';

export const ErrorKind = {
  /** Transient (throttling, a concurrent update, a 5xx): back off and try again now. */
  Retryable: 'retryable',
  /** Refused by a quota or limit (LimitExceeded, on-demand switch limit): try again in a later run. */
  RetryLater: 'retry-later',
  /** The resource does not exist (yet, or any more). */
  NotFound: 'not-found',
  /** Someone else changed the resource first (ResourceConflict): observe again and converge. */
  Conflict: 'conflict',
  /** Will not succeed by retrying (validation, access denied). */
  Terminal: 'terminal',
} as const;
export type ErrorKind = (typeof ErrorKind)[keyof typeof ErrorKind];

/** One failed AWS call, classified. `cause` is the SDK error. */
export class AwsCallError extends DmsEventBusError {
  override readonly name = 'AwsCallError';
  constructor(
    readonly kind: ErrorKind,
    readonly operation: string,
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${operation} failed (${code}, ${kind}): ${message}`, options);
  }
}

const RETRYABLE = new Set([
  'ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded', 'ProvisionedThroughputExceededException',
  'InternalServerError', 'InternalServerException', 'InternalFailure', 'InternalServiceException', 'ServiceException', 'ServiceUnavailable',
  'ServiceUnavailableException', 'ConcurrentUpdateException', 'ResourceInUseException', 'RequestTimeout', 'RequestTimeoutException',
  'TimeoutError', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'NetworkingError',
]);
const RETRY_LATER = new Set(['LimitExceededException']);
const NOT_FOUND = new Set(['ResourceNotFoundException', 'ObjectNotFoundException', 'TableNotFoundException']);
const CONFLICT = new Set(['ResourceConflictException']);

/** Classifies any thrown value from an SDK call. Already classified errors pass through. */
export function translateAwsError(operation: string, error: unknown): AwsCallError {
  if (error instanceof AwsCallError) return error;
  const e = error as { name?: string; code?: string; message?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  const code = e?.name && e.name !== 'Error' ? e.name : (e?.code ?? 'UnknownError');
  const message = e?.message ?? String(error);
  const status = e?.$metadata?.httpStatusCode;
  let kind: ErrorKind;
  if (NOT_FOUND.has(code)) kind = ErrorKind.NotFound;
  else if (CONFLICT.has(code)) kind = ErrorKind.Conflict;
  else if (RETRY_LATER.has(code)) kind = ErrorKind.RetryLater;
  else if (RETRYABLE.has(code) || e?.$retryable !== undefined || (status !== undefined && status >= 500)) kind = ErrorKind.Retryable;
  else kind = ErrorKind.Terminal;
  return new AwsCallError(kind, operation, code, message, { cause: error });
}

/** Runs one SDK call, translating whatever it throws. */
export async function awsCall<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw translateAwsError(operation, error);
  }
}

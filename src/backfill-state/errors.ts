/**
 * Backfill errors. SDK exceptions are translated into these at the adapter boundary, so the
 * runner decides by type: throttled (back off, retry the page), terminal (fail the
 * segment now), or anything else (retry up to BACKFILL_MAX_SEGMENT_ATTEMPTS).
 */
import { DmsEventBusError } from '../errors';

/** A backfill step failed; retrying may help. */
export class BackfillError extends DmsEventBusError {
  override readonly name: string = 'BackfillError';
}

/** DynamoDB throttled the scan (ProvisionedThroughputExceeded, Throttling, RequestLimitExceeded). */
export class ScanThrottledError extends BackfillError {
  override readonly name: string = 'ScanThrottledError';
}

/** Retrying cannot help: the table is gone, access is denied, the request is invalid. */
export class TerminalBackfillError extends BackfillError {
  override readonly name: string = 'TerminalBackfillError';
}

/** A conditional write on the state table lost a race: another invocation changed the state first. */
export class StateConflictError extends BackfillError {
  override readonly name: string = 'StateConflictError';
}

const THROTTLING = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException']);
const TERMINAL = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'UnrecognizedClientException',
  'ValidationException',
  'InvalidParameterValueException',
]);

/** Error name of an SDK exception (or any thrown value). */
function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

/** Translates an SDK exception from a call described by `what` into a backfill error. */
export function translateAwsError(error: unknown, what: string): BackfillError {
  if (error instanceof BackfillError) return error;
  const name = errorName(error);
  const detail = error instanceof Error ? error.message : String(error);
  const message = `${what} failed: ${name}: ${detail}`;
  if (THROTTLING.has(name)) return new ScanThrottledError(message, { cause: error });
  if (TERMINAL.has(name)) return new TerminalBackfillError(message, { cause: error });
  return new BackfillError(message, { cause: error });
}

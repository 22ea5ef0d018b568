/**
 * The project's small error hierarchy. Every error has a `name` a log query can match
 * and keeps the original error as `cause`.
 */
export class DmsEventBusError extends Error {
  override readonly name: string = 'DmsEventBusError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A configuration value is missing or invalid; the message names the variable. */
export class ConfigurationError extends DmsEventBusError {
  override readonly name: string = 'ConfigurationError';
}

/** Input (an event, a record) cannot be understood; retrying it will not help. */
export class MalformedInputError extends DmsEventBusError {
  override readonly name: string = 'MalformedInputError';
}

/** Returns a short, log-safe description of any thrown value. */
export function describeError(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'NonError', message: String(error) };
}

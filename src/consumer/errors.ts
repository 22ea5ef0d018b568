/**
 * Errors of the consumer kit. Each has a `name` a log query can match and keeps the
 * original error as `cause`.
 */

/** Base class of every error the kit throws. */
export class ConsumerKitError extends Error {
  override readonly name: string = 'ConsumerKitError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A record's data is not a change event (not JSON, or a field is missing or of the wrong type). */
export class NotAChangeEventError extends ConsumerKitError {
  override readonly name: string = 'NotAChangeEventError';
}

/** A change event of a schema version this kit does not read. */
export class UnsupportedSchemaVersionError extends NotAChangeEventError {
  override readonly name: string = 'UnsupportedSchemaVersionError';
}

/** A value helper was given a value of another type or form (e.g. a fraction to `toBigInt`). */
export class ValueFormatError extends ConsumerKitError {
  override readonly name: string = 'ValueFormatError';
}

/**
 * Turns what can go wrong in a CLI run into one clear sentence for the user (no stack
 * trace). Errors the user can cause are recognised by name or message; anything else is
 * reported as unexpected, still in one line.
 */
import { ConfigurationError, DmsEventBusError } from '../src/errors';

/** A mistake in the command line itself (unknown command, bad option). */
export class UsageError extends DmsEventBusError {
  override readonly name = 'UsageError';
}

/** A condition the user must fix, already phrased as the sentence to print. */
export class UserFacingError extends DmsEventBusError {
  override readonly name: string = 'UserFacingError';
}

function text(error: unknown): { name: string; message: string; code?: string } {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    const code = (error as { code?: string }).code ?? (cause as { code?: string } | undefined)?.code;
    return { name: error.name, message: error.message, ...(code ? { code } : {}) };
  }
  return { name: 'Error', message: String(error) };
}

/** The single line printed for `error` (without the program name). */
export function describeForUser(error: unknown, context: { region?: string } = {}): string {
  const { name, message, code } = text(error);
  const where = context.region ? ` in ${context.region}` : '';
  if (error instanceof UsageError) return `${message} (see dms-event-bus --help)`;
  if (error instanceof UserFacingError || error instanceof ConfigurationError) return message;
  if (name === 'EmulatorMissingError' || name === 'EmulatorStartError') return message;
  if (name === 'CredentialsProviderError' || /Could not load credentials|credential/i.test(message) && /load|provider|missing/i.test(message)) {
    return 'No AWS credentials found: configure a profile (aws configure, AWS_PROFILE) or environment credentials, or use --local.';
  }
  if (/Region is missing|region.*(missing|not set)/i.test(message)) return 'No AWS region configured: set AWS_REGION (or a profile region) or pass --region.';
  if (code === 'ECONNREFUSED' || /ECONNREFUSED/.test(message)) {
    return `Cannot reach the AWS endpoint (${message.replace(/^.*ECONNREFUSED\s*/, '') || 'connection refused'}): is the local pipeline running (npm start)? Otherwise unset AWS_ENDPOINT_URL_*.`;
  }
  if (name === 'UnrecognizedClientException' || name === 'InvalidSignatureException' || name === 'ExpiredTokenException') return `AWS rejected the credentials (${name}): refresh them or choose another profile.`;
  if (name === 'AccessDeniedException' || name === 'AccessDenied') return `Access denied${where}: ${message}`;
  return `unexpected error: ${name}: ${message}`;
}

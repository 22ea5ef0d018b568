/**
 * Structured JSON logger on Powertools for AWS Lambda (TypeScript) Logger: one JSON object
 * per line, with the Lambda context (function name, ARN, memory, request id, cold start,
 * X-Ray trace id) on every line once `addContext` has seen the invocation's context.
 * The small interface below is what the functions use; Powertools does the formatting,
 * log levels (including Lambda's advanced logging controls) and JSON encoding.
 *
 * @see https://docs.powertools.aws.dev/lambda/typescript/latest/core/logger/
 */
import type { Console } from 'node:console';
import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';

/** Log levels the functions use, in increasing severity. */
export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
const LEVELS: readonly LogLevel[] = ['DEBUG', 'INFO', 'WARN', 'ERROR'];

/** Extra fields of one log line. */
export type LogFields = Record<string, unknown>;

/** The logger every module takes; `createLogger` makes the real one, tests may pass their own. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (e.g. the table being handled). */
  child(fields: LogFields): Logger;
  /** Adds the invocation's Lambda context to every later line of this logger and its children. */
  addContext?(context: Context): void;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** The `service` field of every line (Powertools' service name). */
  service: string;
  level?: LogLevel;
  /** Where lines go (without the newline); stdout by default. Tests pass an array's push. */
  write?: (line: string) => void;
  fields?: LogFields;
}

/** The console methods Powertools writes with, each handing its one line to `write`. */
export function lineConsole(write: (line: string) => void): Pick<Console, 'log' | 'debug' | 'info' | 'warn' | 'error' | 'trace'> {
  const line = (text: unknown) => write(String(text));
  return { log: line, debug: line, info: line, warn: line, error: line, trace: line };
}

/**
 * Points a Powertools Logger or Metrics instance at `write`. Powertools writes through its
 * own `console` property (a Console on process.stdout); replacing it is the only way to
 * capture lines without patching the process's streams.
 */
export function redirectOutput(instance: object, write: ((line: string) => void) | undefined): void {
  if (write) (instance as { console: unknown }).console = lineConsole(write);
}

function powertoolsLogger(options: LoggerOptions): PowertoolsLogger {
  const logger = new PowertoolsLogger({ serviceName: options.service, logLevel: options.level ?? 'INFO' });
  redirectOutput(logger, options.write);
  return logger;
}

/** One logger over a shared Powertools instance, so a context added to any child reaches all. */
function wrap(root: PowertoolsLogger, fields: LogFields | undefined): Logger {
  const extra = (more?: LogFields): LogFields[] => (fields || more ? [{ ...fields, ...more }] : []);
  return {
    debug: (message, more) => root.debug(message, ...extra(more)),
    info: (message, more) => root.info(message, ...extra(more)),
    warn: (message, more) => root.warn(message, ...extra(more)),
    error: (message, more) => root.error(message, ...extra(more)),
    child: (more) => wrap(root, { ...fields, ...more }),
    addContext: (context) => root.addContext(context),
  };
}

/** The functions' logger: Powertools Logger with the given service, level and fixed fields. */
export function createLogger(options: LoggerOptions): Logger {
  return wrap(powertoolsLogger(options), options.fields);
}

/** Reads a log level name (any case); anything else is INFO. */
export function parseLogLevel(text: string | undefined): LogLevel {
  const upper = (text ?? 'INFO').toUpperCase();
  return (LEVELS as readonly string[]).includes(upper) ? (upper as LogLevel) : 'INFO';
}

/**
 * Firehose's S3 key expressions, evaluated the way https://docs.aws.amazon.com/firehose/latest/dev/s3-prefixes.html
 * and https://docs.aws.amazon.com/firehose/latest/dev/s3-object-name.html describe them:
 * `!{partitionKeyFromQuery:k}`, `!{timestamp:<java DateTimeFormatter pattern>}` (UTC, the arrival time
 * of the oldest record in the object), `!{firehose:error-output-type}`, `!{firehose:random-string}`,
 * and the object name `<prefix><stream>-<version>-<yyyy>-<MM>-<dd>-<HH>-<mm>-<ss>-<uuid><extension>`.
 *
 * Development tooling only: never bundled into a Lambda function.
 */
import { randomUUID } from 'node:crypto';

/** A prefix names something the record or the stand-in does not provide. */
export class PrefixEvaluationError extends Error {
  override readonly name = 'PrefixEvaluationError';
}

export interface PrefixContext {
  /** The JQ query's output: partition key name -> value. */
  readonly partitionKeys?: Readonly<Record<string, string>>;
  /** Arrival time of the oldest record of the object. */
  readonly arrival: Date;
  readonly errorOutputType?: string;
  readonly randomString?: () => string;
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** The subset of java.time.format.DateTimeFormatter patterns Firehose prefixes use, in UTC. */
export function formatTimestamp(pattern: string, time: Date): string {
  const fields: Record<string, string> = {
    yyyy: String(time.getUTCFullYear()),
    MM: pad(time.getUTCMonth() + 1),
    dd: pad(time.getUTCDate()),
    HH: pad(time.getUTCHours()),
    mm: pad(time.getUTCMinutes()),
    ss: pad(time.getUTCSeconds()),
  };
  let out = '';
  for (let i = 0; i < pattern.length; ) {
    if (pattern[i] === "'") {
      const end = pattern.indexOf("'", i + 1);
      if (end === -1) throw new PrefixEvaluationError(`unterminated quote in timestamp pattern "${pattern}"`);
      out += end === i + 1 ? "'" : pattern.slice(i + 1, end);
      i = end + 1;
      continue;
    }
    const field = Object.keys(fields).find((name) => pattern.startsWith(name, i));
    if (field) {
      out += fields[field];
      i += field.length;
    } else if (/[A-Za-z]/.test(pattern[i]!)) {
      throw new PrefixEvaluationError(`timestamp pattern letter "${pattern[i]}" in "${pattern}" is not implemented by the stand-in`);
    } else {
      out += pattern[i];
      i += 1;
    }
  }
  return out;
}

/** Evaluates every `!{namespace:value}` expression of a prefix. */
export function evaluatePrefix(prefix: string, context: PrefixContext): string {
  return prefix.replace(/!\{([A-Za-z]+):([^}]*)\}/g, (_expression, namespace: string, value: string) => {
    switch (namespace) {
      case 'partitionKeyFromQuery': {
        const key = context.partitionKeys?.[value];
        if (key === undefined || key === '') throw new PrefixEvaluationError(`the metadata query gave no value for partition key "${value}"`);
        return key;
      }
      case 'timestamp':
        return formatTimestamp(value, context.arrival);
      case 'firehose':
        if (value === 'error-output-type' && context.errorOutputType) return context.errorOutputType;
        if (value === 'random-string') return (context.randomString ?? (() => randomUUID().slice(0, 11)))();
        throw new PrefixEvaluationError(`!{firehose:${value}} has no value here`);
      default:
        throw new PrefixEvaluationError(`unknown prefix namespace "${namespace}"`);
    }
  });
}

/** The object name Firehose appends to the evaluated prefix. */
export function objectSuffix(options: { streamName: string; version: number; time: Date; uuid: string; extension: string }): string {
  return `${options.streamName}-${options.version}-${formatTimestamp("yyyy-MM-dd-HH-mm-ss", options.time)}-${options.uuid}${options.extension}`;
}

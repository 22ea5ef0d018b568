/**
 * Which item attributes hold the DMS header columns, read from the environment by every
 * function that writes change events (the forwarder, the backfill), so both agree.
 */
import { DEFAULT_ORIGIN_ATTRIBUTES, type OriginOptions } from '../change-event/origin';
import { ConfigurationError } from '../errors';
import { readBoolean, readString, type Env } from './env';

/** The environment variables of the origin settings. */
export const ORIGIN_ENV = [
  'ORIGIN_COMMIT_TIME_ATTRIBUTE',
  'ORIGIN_CHANGE_SEQUENCE_ATTRIBUTE',
  'ORIGIN_TRANSACTION_ID_ATTRIBUTE',
  'ORIGIN_STREAM_POSITION_ATTRIBUTE',
  'ORIGIN_KEEP_ATTRIBUTES',
] as const;

export function loadOriginOptions(env: Env): OriginOptions {
  const attributes = {
    commitTime: readString(env, 'ORIGIN_COMMIT_TIME_ATTRIBUTE', DEFAULT_ORIGIN_ATTRIBUTES.commitTime),
    changeSequence: readString(env, 'ORIGIN_CHANGE_SEQUENCE_ATTRIBUTE', DEFAULT_ORIGIN_ATTRIBUTES.changeSequence),
    transactionId: readString(env, 'ORIGIN_TRANSACTION_ID_ATTRIBUTE', DEFAULT_ORIGIN_ATTRIBUTES.transactionId),
    streamPosition: readString(env, 'ORIGIN_STREAM_POSITION_ATTRIBUTE', DEFAULT_ORIGIN_ATTRIBUTES.streamPosition),
  };
  const names = Object.values(attributes);
  if (new Set(names).size !== names.length) {
    throw new ConfigurationError(`the ORIGIN_*_ATTRIBUTE variables must name four different attributes, got ${names.join(', ')}`);
  }
  return { attributes, keepAttributes: readBoolean(env, 'ORIGIN_KEEP_ATTRIBUTES', false) };
}
